import type { Container } from 'inversify';
import { OctoError } from '../errors/octo-error.js';
import { OVERRIDABLE_PORTS, type OverridablePorts } from './overridable-ports.js';
import type { PortImplementation } from './provider-plugin.js';

type PortName = keyof OverridablePorts;

/**
 * The overrides one plugin declares for one provider, checked as they are declared and bound
 * once `register` returned: bound over core's default, or in place of what the factory bound
 * for the provider, so a plugin never has to know which of the two a port is.
 */
export class PluginOverrides {
  private readonly declared = new Map<PortName, PortImplementation<unknown>>();
  private open = true;

  constructor(
    private readonly plugin: string,
    private readonly provider: string,
  ) {}

  /** Records one override; refuses an unknown port, a second override of a port, or a late call. */
  add(port: string, implementation: unknown): void {
    const at = `plugin "${this.plugin}" (provider "${this.provider}")`;
    if (!this.open) {
      throw this.error(`${at} overrides ${port} after its register step returned: call override() before register returns (or resolves)`);
    }
    if (!Object.hasOwn(OVERRIDABLE_PORTS, port)) {
      throw this.error(`${at} overrides "${port}", which is not a port a plugin can override: the ports are ${Object.keys(OVERRIDABLE_PORTS).sort().join(', ')}`);
    }
    const name = port as PortName;
    if (this.declared.has(name)) {
      throw this.error(`${at} overrides ${name} twice: keep one override per port`);
    }
    if (!isImplementation(implementation)) {
      throw this.error(`${at} overrides ${name} with ${describe(implementation)}: give a class (the container builds it) or { value } (a ready instance)`);
    }
    this.declared.set(name, implementation);
  }

  /** Binds every override into the provider's container, then builds each once so a broken one fails now. */
  apply(container: Container): void {
    this.open = false;
    for (const [name, implementation] of this.declared) {
      const id = OVERRIDABLE_PORTS[name];
      // The factory binds some ports in the provider's own container (its source, its decryptor):
      // those are replaced; the rest come from the root and are shadowed.
      if (container.isCurrentBound(id)) container.unbindSync(id);
      if ('value' in implementation) container.bind(id).toConstantValue(implementation.value as never);
      else container.bind(id).to(implementation as never);
    }
    for (const [name, implementation] of this.declared) {
      if ('value' in implementation) continue;
      try {
        container.get(OVERRIDABLE_PORTS[name]);
      } catch (error) {
        if (OctoError.is(error)) throw error;
        throw this.error(
          `plugin "${this.plugin}" overrides ${name} with ${implementation.name || 'a class'}, which cannot be built for provider "${this.provider}": ` +
            `${error instanceof Error ? error.message.split('\n')[0] : String(error)}; check that it is @injectable() and injects only core's TYPES and its own settings token`,
          error,
        );
      }
    }
  }

  private error(message: string, cause?: unknown): OctoError {
    return new OctoError('config', message, { fatal: true, cause });
  }
}

function isImplementation(value: unknown): value is PortImplementation<unknown> {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && 'value' in value && (value as { value: unknown }).value !== undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return 'an object without a value';
  return `a ${typeof value}`;
}
