/** The folder of the built web console (index.html and assets/), which `octo serve` serves at `/`; built by `nx run console:build` and by `npm ci`. */
export declare const consoleAssetsDir: string;
