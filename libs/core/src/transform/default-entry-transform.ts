import type { Duplex } from 'node:stream';
import { injectable } from 'inversify';
import type { EntryTransform } from '../ports/entry-transform.js';

/** Core's entry transform: leaves every entry as it is (the config's `transform:` and `validate:` blocks run besides any plugin's). */
@injectable()
export class DefaultEntryTransform implements EntryTransform {
  transform(): Duplex | readonly Duplex[] | undefined {
    return undefined;
  }
}
