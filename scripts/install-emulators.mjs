#!/usr/bin/env node
/**
 * Installs the emulators the cloud test suites run against, natively (no Docker):
 *
 *   npm run emulators:install                 # moto, fake-gcs-server, Azurite check
 *   npm run emulators:install -- --with-minio # also MinIO (slow to build)
 *
 * Each step is skipped when the tool is already there. Exits non-zero when a
 * required install fails, naming what to do.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

const args = new Set(process.argv.slice(2));
const withMinio = args.has('--with-minio');
if (args.has('--help') || args.has('-h')) {
  console.log('usage: node scripts/install-emulators.mjs [--with-minio]');
  process.exit(0);
}

const failures = [];

function log(name, message) {
  console.log(`[emulators:install] ${name}: ${message}`);
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function goBin() {
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(delimiter)[0];
    if (gopath) return join(gopath, 'bin');
  } catch {}
  return join(homedir(), 'go', 'bin');
}

function which(name) {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  dirs.push(goBin(), join(homedir(), 'go', 'bin'));
  for (const dir of dirs) if (executable(join(dir, name))) return join(dir, name);
  return undefined;
}

function run(command, commandArgs) {
  log(command, commandArgs.join(' '));
  const result = spawnSync(command, commandArgs, { stdio: 'inherit' });
  if (result.error) return `${command} could not run: ${result.error.message}`;
  if (result.status !== 0) return `${command} ${commandArgs.join(' ')} exited with ${result.status}`;
  return undefined;
}

function pythonWithMoto() {
  for (const python of ['python3', 'python']) {
    const r = spawnSync(python, ['-c', 'import moto.server'], { stdio: 'ignore' });
    if (!r.error && r.status === 0) return python;
  }
  return undefined;
}

// moto (S3)
if (which('moto_server') || pythonWithMoto()) {
  log('moto', 'already installed');
} else {
  const python = ['python3', 'python'].find((p) => !spawnSync(p, ['--version'], { stdio: 'ignore' }).error);
  let error = python
    ? run(python, ['-m', 'pip', 'install', '--quiet', 'moto[server]'])
    : 'python3 is not installed; install Python 3 and run `pip install "moto[server]"`';
  // A system Python may refuse global installs (PEP 668): try the user site.
  if (python && error) error = run(python, ['-m', 'pip', 'install', '--quiet', '--user', 'moto[server]']);
  if (error || !(which('moto_server') || pythonWithMoto())) {
    failures.push(`moto: ${error ?? 'installed but `import moto.server` still fails'}`);
  } else log('moto', 'installed');
}

function goInstall(name, module) {
  if (which(name)) {
    log(name, `already installed at ${which(name)}`);
    return;
  }
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).error) {
    failures.push(`${name}: Go is not installed; install Go 1.22+ and run \`go install ${module}\``);
    return;
  }
  const error = run('go', ['install', module]);
  if (error || !which(name))
    failures.push(`${name}: ${error ?? `go install succeeded but ${name} is not in ${goBin()}`}`);
  else log(name, `installed at ${which(name)}`);
}

// fake-gcs-server (GCS)
goInstall('fake-gcs-server', 'github.com/fsouza/fake-gcs-server@latest');

// Azurite is an npm devDependency: `npm install` brings it.
if (executable(join(process.cwd(), 'node_modules', '.bin', 'azurite')))
  log('azurite', 'present in node_modules/.bin');
else
  failures.push(
    'azurite: node_modules/.bin/azurite is missing; run `npm install` (azurite is a devDependency)',
  );

// MinIO (optional)
if (withMinio) goInstall('minio', 'github.com/minio/minio@latest');
else log('minio', 'skipped (pass --with-minio to build it; it takes several minutes)');

if (failures.length > 0) {
  console.error(`[emulators:install] failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
log('done', 'all requested emulators are installed');
