/**
 * A new ed25519 keypair in OpenSSH format (private key unencrypted, public key line).
 *
 * ssh2's `utils.generateKeyPairSync('ed25519')` writes a public key whose first byte is zero as
 * 31 bytes instead of 32 (about 1 key in 256): both files are then malformed, and OpenSSH, dropbear
 * and ssh2 itself refuse them. A builder installed with such a key would never come up. So every
 * pair is parsed back before it is used, and a malformed one is drawn again.
 */
// ssh2 is CommonJS: Node's ESM loader does not see `utils` as a named export.
import ssh2 from 'ssh2';

const { utils } = ssh2;

export interface OpenSshKeyPair {
  private: string;
  public: string;
}

type Generate = (comment: string | undefined) => OpenSshKeyPair;

const ssh2Generate: Generate = (comment) => utils.generateKeyPairSync('ed25519', comment === undefined ? {} : { comment });

/** True when ssh2 can read both files as keys at all (whatever their type). */
export function isReadablePair(pair: OpenSshKeyPair): boolean {
  return !(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public.trim()) instanceof Error);
}

/** True when ssh2 reads both halves back as one ed25519 key with a 32-byte public key. */
export function isWellFormedPair(pair: OpenSshKeyPair): boolean {
  const privateKey = utils.parseKey(pair.private);
  const publicKey = utils.parseKey(pair.public.trim());
  if (privateKey instanceof Error || publicKey instanceof Error) return false;
  const [priv] = Array.isArray(privateKey) ? privateKey : [privateKey];
  const [pub] = Array.isArray(publicKey) ? publicKey : [publicKey];
  if (!priv || !pub || priv.type !== 'ssh-ed25519' || pub.type !== 'ssh-ed25519') return false;
  const blob = pub.getPublicSSH();
  // string "ssh-ed25519" (4 + 11 bytes), then string key (4 + 32 bytes).
  return blob.length === 51 && blob.equals(priv.getPublicSSH());
}

export function generateEd25519KeyPair(comment?: string, generate: Generate = ssh2Generate): OpenSshKeyPair {
  // 1 in 256 is malformed: 20 draws in a row are, with odds of 1 in 10^48.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const pair = generate(comment);
    if (isWellFormedPair(pair)) return pair;
  }
  throw new Error('Could not generate a well-formed ed25519 key pair in 20 attempts.');
}
