import { describe, expect, it } from 'vitest';
import { checkBuilderDraft, emptyBuilderDraft, type BuilderDraft } from './builderDraft.js';

const filled: BuilderDraft = {
  ...emptyBuilderDraft,
  id: 'big-box',
  user: 'nix',
  host: 'big.example.org',
  port: '2222',
  sshKey: '/home/u/.ssh/id_ed25519',
  hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample',
  systems: 'x86_64-linux, aarch64-linux',
  maxJobs: '4',
  speedFactor: '2',
  supportedFeatures: 'big-parallel kvm',
};

describe('the Add remote builder form', () => {
  it('turns the typed fields into a builder, lists split on commas and spaces', () => {
    expect(checkBuilderDraft(filled)).toEqual({
      ok: true,
      builder: {
        id: 'big-box',
        protocol: 'ssh-ng',
        user: 'nix',
        host: 'big.example.org',
        port: 2222,
        systems: ['x86_64-linux', 'aarch64-linux'],
        maxJobs: 4,
        speedFactor: 2,
        supportedFeatures: ['big-parallel', 'kvm'],
        sshKey: '/home/u/.ssh/id_ed25519',
        hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample',
      },
    });
  });

  it("shows the schema's message next to each wrong field", () => {
    const check = checkBuilderDraft({ ...filled, id: 'Big Box', host: 'bad host', sshKey: 'id_ed25519', port: '70000', maxJobs: '2.5', hostKey: 'AAAA' });
    expect(check).toEqual({
      ok: false,
      errors: {
        id: 'use 1-31 lower-case letters, digits and dashes, starting with a letter or digit',
        host: 'a host name or an IPv4 address',
        sshKey: 'an absolute path',
        port: expect.stringMatching(/65535/),
        maxJobs: 'a whole number',
        hostKey: 'an OpenSSH public key line, e.g. from ssh-keyscan -t ed25519 HOST',
      },
    });
  });

  it('asks for at least one system', () => {
    expect(checkBuilderDraft({ ...filled, systems: ' ' })).toEqual({ ok: false, errors: { systems: 'at least one system, e.g. x86_64-linux' } });
  });

  it('keeps quiet about empty fields until the user tries to add', () => {
    expect(checkBuilderDraft(emptyBuilderDraft)).toEqual({ ok: false, errors: {} });
    const tried = checkBuilderDraft(emptyBuilderDraft, true);
    expect(tried.ok).toBe(false);
    if (!tried.ok) expect(Object.keys(tried.errors).sort()).toEqual(['host', 'hostKey', 'id', 'sshKey', 'user']);
  });
});
