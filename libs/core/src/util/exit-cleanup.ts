import { rmSync } from 'node:fs';

const paths = new Set<string>();
let installed = false;

/**
 * Removes `target` (a file or folder, recursively) when the process exits, whatever ends it
 * short of SIGKILL: a signal handler's `process.exit`, an uncaught error. Returns the function
 * that forgets it again once the owner removed it itself. Decrypted spools must not outlive us.
 */
export function removeOnExit(target: string): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const entry of paths) rmSync(entry, { recursive: true, force: true });
    });
  }
  paths.add(target);
  return () => paths.delete(target);
}
