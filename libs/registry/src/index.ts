import type { ProviderPlugin } from '@octo/core';
// The provider generator adds one import and one list entry per provider; keep one per line.
import { exampleProvider } from '@octo/provider-example';

/** Every provider plugin installed in this workspace, by name. */
export const installedProviders: ReadonlyArray<ProviderPlugin<unknown>> = [
  exampleProvider,
];
