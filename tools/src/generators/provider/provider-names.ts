import { names } from '@nx/devkit';

/** Provider ids: kebab-case, starting with a letter so `<camelName>Provider` is a valid identifier. */
const PROVIDER_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The names one provider id turns into. */
export interface ProviderNames {
  /** `acme-bank` */
  readonly name: string;
  /** `libs/providers/acme-bank` */
  readonly directory: string;
  /** `provider-acme-bank` (the Nx project) */
  readonly projectName: string;
  /** `@octo/provider-acme-bank` */
  readonly packageName: string;
  /** `acmeBankProvider` (the plugin export) */
  readonly exportName: string;
  /** `AcmeBank` (class prefix of the rules) */
  readonly className: string;
  /** `ACME_BANK` (prefix of environment variables in the README's config block) */
  readonly constantName: string;
  /** `acmeBankSettings` (the plugin's settings and their injection token) */
  readonly settingsName: string;
}

/** Validates a provider id and derives every name the generator writes; throws on a bad id. */
export function providerNames(name: string): ProviderNames {
  if (typeof name !== 'string' || !PROVIDER_NAME.test(name)) {
    throw new Error(
      `provider name "${String(name)}" is not kebab-case: use lowercase letters, digits and single hyphens, starting with a letter (e.g. acme-bank)`,
    );
  }
  const n = names(name);
  return {
    name,
    directory: `libs/providers/${name}`,
    projectName: `provider-${name}`,
    packageName: `@octo/provider-${name}`,
    exportName: `${n.propertyName}Provider`,
    className: n.className,
    constantName: n.constantName,
    settingsName: `${n.propertyName}Settings`,
  };
}
