/**
 * Settings as they go into a diagnostics bundle. Nothing in the settings is secret today
 * (remote builders carry the *path* of their ssh key and a *public* host key), but a field a
 * later version adds, or one a user typed into settings.json by hand, might be: any field whose
 * name says token, secret, password or private, and any other key-named field whose value is
 * neither an absolute path nor a public key line, is replaced.
 */
import { REMOVED } from './scrubSecrets.js';

const ALWAYS_SECRET = /token|secret|passw|passphrase|credential|private/i;
const KEY_NAMED = /key/i;
const PUBLIC_KEY_LINE = /^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

function harmlessKeyValue(value: unknown): boolean {
  return typeof value === 'string' && (value.startsWith('/') || PUBLIC_KEY_LINE.test(value));
}

export function redactSettings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSettings);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value as Record<string, unknown>)) {
    const secret = ALWAYS_SECRET.test(name) || (KEY_NAMED.test(name) && !harmlessKeyValue(field));
    out[name] = secret ? REMOVED : redactSettings(field);
  }
  return out;
}
