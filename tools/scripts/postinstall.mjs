// `npm install` / `npm ci` postinstall: the project runs on the Node 24 that the `node` package
// pins (node_modules/.bin/node, first on PATH in npm scripts and npx). npm may have built native
// addons (ssh2's crypto binding, cpu-features) for the Node that ran npm itself; rebuild them
// against Node 24's headers, shipped inside the same package, so they load instead of falling
// back to slower JavaScript.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(`${root}package.json`);
const nodedir = `${root}node_modules/node/node_modules/node-linux-${process.arch}`;
const addons = {
  ssh2: 'node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node',
  'cpu-features': 'node_modules/cpu-features/build/Release/cpufeatures.node',
};

const stale = Object.entries(addons)
  .filter(([, file]) => existsSync(`${root}${file}`))
  .filter(([, file]) => {
    try {
      require(`${root}${file}`);
      return false;
    } catch {
      return true;
    }
  })
  .map(([name]) => name);

if (stale.length > 0 && existsSync(`${nodedir}/include/node`)) {
  console.error(`postinstall: rebuilding ${stale.join(', ')} for Node ${process.versions.node}`);
  const result = spawnSync('npm', ['rebuild', ...stale], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  if (result.status !== 0) console.error('postinstall: the rebuild failed; ssh2 falls back to its JavaScript crypto');
}

// The bundled CLI, so `npx octo` starts fast from the first run (bin/octo.mjs falls back to the
// sources while the build is missing or older than them).
buildCli();
// The web console's assets, which `octo serve` serves at / (a Vite build of about a second).
buildConsole();

function buildCli() {
  const result = spawnSync(process.execPath, ['build.mjs'], { cwd: `${root}apps/cli`, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) console.error('postinstall: building the CLI bundle failed; octo runs from its sources (slower to start)');
}

function buildConsole() {
  const vite = `${root}node_modules/vite/bin/vite.js`;
  if (!existsSync(vite)) return console.error('postinstall: vite is not installed (npm ci --omit=dev?), so the web console is not built; octo serve serves the API only');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: `${root}apps/console`, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) console.error('postinstall: building the web console failed; run npx nx run console:build to see why (octo serve serves the API without it)');
}
