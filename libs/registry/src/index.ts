import type { ProviderPlugin } from '@octo/core';
// The provider generator adds one import and one list entry per provider (an edit of the syntax tree, so any formatting works).
import { acmeBankProvider } from '@octo/provider-acme-bank';
import { exampleProvider } from '@octo/provider-example';
import { globexPayrollProvider } from '@octo/provider-globex-payroll';

/** Every provider plugin installed in this workspace, by name. */
export const installedProviders: ReadonlyArray<ProviderPlugin<unknown>> = [
  acmeBankProvider,
  exampleProvider,
  globexPayrollProvider,
];
