// Certificates for the turns: tests: a self-signed one made with the openssl CLI, and an NSS
// database that makes Chromium trust it (Chromium on Linux reads $HOME/.pki/nssdb, and its
// TURN-over-TLS client verifies against that store like any https: page; see README.md).
import { access, mkdir } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { run } from './exec.mjs';

const OPENSSL = '/usr/bin/openssl';
const CERTUTIL = '/usr/bin/certutil';

async function executable(p) {
  try {
    await access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// {ok, reason}: whether the tools are there (tools/dev setup installs both packages).
export async function certSupport() {
  if (!(await executable(OPENSSL))) return { ok: false, reason: `${OPENSSL} not found (Debian package openssl)` };
  if (!(await executable(CERTUTIL))) return { ok: false, reason: `${CERTUTIL} not found (Debian package libnss3-tools)` };
  return { ok: true };
}

// A self-signed P-256 certificate valid a day, CN=localhost, with `san` as its
// subjectAltName (browsers match the host name against the SAN only, never the CN).
// Returns {cert, key} paths in dir.
export async function makeCertificate(dir, { san = 'DNS:localhost' } = {}) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run(OPENSSL, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', `subjectAltName=${san}`]);
  return { cert, key };
}

// Makes home/.pki/nssdb trusting `cert` as a CA for TLS servers ("C,,"); launch the browser
// with HOME=home. Returns home.
export async function trustingHome(home, cert) {
  const db = path.join(home, '.pki', 'nssdb');
  await mkdir(db, { recursive: true });
  await run(CERTUTIL, ['-N', '--empty-password', '-d', `sql:${db}`]);
  await run(CERTUTIL, ['-A', '-n', 'ferry-e2e-test', '-t', 'C,,', '-i', cert, '-d', `sql:${db}`]);
  return home;
}
