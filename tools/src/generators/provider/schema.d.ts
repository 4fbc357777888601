/** Options of the `provider` generator (mirrors schema.json). */
export interface ProviderGeneratorSchema {
  /** Provider id, kebab-case, starting with a letter. */
  name: string;
  /** One line for `octo providers`. */
  description?: string;
  /** Skip `npm install` (tests, or when you install yourself). */
  skipInstall?: boolean;
}
