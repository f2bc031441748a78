/**
 * The LaunchDaemon that gives root's nix-daemon a socket in a root-owned place: the plist byte
 * for byte as root installs it, the keys launchd reads, escaping of what the user's paths may
 * hold, and refusal of what must never reach a job root installs.
 */
import { describe, expect, it } from 'vitest';
import { launchdLogSocketActivator, logRelayCommands, logRelayPlist, logRelayJob } from './launchdLogSocket.js';
import { plistDict, plistEscape, plistXml } from './launchdPlist.js';
import { logRelaySpecProblem, relayArguments } from './systemLogSocket.js';

const spec = { uid: 501, userName: 'ada', coreSocketPath: '/Users/ada/Library/Application Support/Builder Bar/nix-log.sock' };
const mac = launchdLogSocketActivator('darwin');

describe('the log relay LaunchDaemon', () => {
  it('is this plist, byte for byte: the socket in /private/var/run owned by the user, 0600, and macOS nc run as the user per connection', () => {
    const plan = mac.plan(spec);
    expect(plan.jobFile).toEqual({ path: '/Library/LaunchDaemons/dev.builder-bar.nix-log.501.plist', mode: 0o644, content: expect.any(String) as unknown as string });
    expect(plan.jobFile.content).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>Label</key>
\t<string>dev.builder-bar.nix-log.501</string>
\t<key>UserName</key>
\t<string>ada</string>
\t<key>ProgramArguments</key>
\t<array>
\t\t<string>/usr/bin/nc</string>
\t\t<string>-U</string>
\t\t<string>/Users/ada/Library/Application Support/Builder Bar/nix-log.sock</string>
\t</array>
\t<key>inetdCompatibility</key>
\t<dict>
\t\t<key>Wait</key>
\t\t<false/>
\t</dict>
\t<key>Sockets</key>
\t<dict>
\t\t<key>Listeners</key>
\t\t<dict>
\t\t\t<key>SockFamily</key>
\t\t\t<string>Unix</string>
\t\t\t<key>SockType</key>
\t\t\t<string>stream</string>
\t\t\t<key>SockPathName</key>
\t\t\t<string>/private/var/run/builder-bar-nix-log-501.sock</string>
\t\t\t<key>SockPathOwner</key>
\t\t\t<integer>501</integer>
\t\t\t<key>SockPathMode</key>
\t\t\t<integer>384</integer>
\t\t</dict>
\t</dict>
</dict>
</plist>
`);
    expect(plan.job).toEqual({
      label: 'dev.builder-bar.nix-log.501',
      socketPath: '/private/var/run/builder-bar-nix-log-501.sock',
      socketOwner: 501,
      socketMode: 0o600,
      userName: 'ada',
      programArguments: ['/usr/bin/nc', '-U', spec.coreSocketPath],
    });
  });

  it("root's commands name only the uid's label and plist: bootstrap into the system domain, boot out by label", () => {
    expect(mac.plan(spec).start).toEqual(['/bin/launchctl', 'bootstrap', 'system', '/Library/LaunchDaemons/dev.builder-bar.nix-log.501.plist']);
    expect(mac.plan(spec).stop).toEqual(['/bin/launchctl', 'bootout', 'system/dev.builder-bar.nix-log.501']);
    expect(logRelayCommands(502).stop).toEqual(['/bin/launchctl', 'bootout', 'system/dev.builder-bar.nix-log.502']);
  });

  it('escapes what a state path may hold, so no value closes a tag or starts a key', () => {
    const odd = { ...spec, coreSocketPath: '/Users/ada/a&b<c>d</string><key>x/nix-log.sock' };
    const text = logRelayPlist(logRelayJob(odd, 'darwin'));
    expect(text).toContain('<string>/Users/ada/a&amp;b&lt;c&gt;d&lt;/string&gt;&lt;key&gt;x/nix-log.sock</string>');
    expect(text.match(/<key>/g)).toHaveLength(logRelayPlist(logRelayJob(spec, 'darwin')).match(/<key>/g)!.length);
  });

  it('refuses a state path that could read as an option, is relative, holds a control character or is too long for a socket', () => {
    expect(logRelaySpecProblem({ ...spec, coreSocketPath: '-oProxyCommand=x/nix-log.sock' })).toMatch(/starts with "-"/);
    expect(logRelaySpecProblem({ ...spec, coreSocketPath: 'state/nix-log.sock' })).toMatch(/not absolute/);
    expect(logRelaySpecProblem({ ...spec, coreSocketPath: '/Users/ada/a\nb/nix-log.sock' })).toMatch(/control character/);
    expect(logRelaySpecProblem({ ...spec, coreSocketPath: '/Users/ada/a\u0007b/nix-log.sock' })).toMatch(/control character/);
    expect(logRelaySpecProblem({ ...spec, coreSocketPath: `/${'x'.repeat(120)}/nix-log.sock` })).toMatch(/longer than a unix socket path/);
    expect(logRelaySpecProblem({ ...spec, coreSocketPath: '/Users/ada/\ud800/nix-log.sock' })).toMatch(/unpaired surrogate/);
    expect(logRelaySpecProblem(spec)).toBeNull();
    expect(() => mac.plan({ ...spec, coreSocketPath: '-x' })).toThrow(/cannot be set up: the state dir's socket path starts with "-"/);
  });

  it('refuses an account name or uid launchd could not run the relay as', () => {
    expect(logRelaySpecProblem({ ...spec, userName: '-root' })).toMatch(/account name/);
    expect(logRelaySpecProblem({ ...spec, userName: 'ada</string>' })).toMatch(/account name/);
    expect(logRelaySpecProblem({ ...spec, userName: '' })).toMatch(/account name/);
    expect(logRelaySpecProblem({ ...spec, uid: -1 })).toMatch(/not a user id/);
    expect(logRelaySpecProblem({ ...spec, uid: 1.5 })).toMatch(/not a user id/);
    expect(logRelaySpecProblem({ ...spec, userName: 'first.last@corp-1' })).toBeNull();
  });

  it('picks the relay per platform in one place: macOS nc, Debian nc.openbsd with -N (shut the core side on EOF)', () => {
    expect(relayArguments('/s/nix-log.sock', 'darwin')).toEqual(['/usr/bin/nc', '-U', '/s/nix-log.sock']);
    expect(relayArguments('/s/nix-log.sock', 'linux')).toEqual(['/bin/nc.openbsd', '-N', '-U', '/s/nix-log.sock']);
    expect(launchdLogSocketActivator('linux').plan(spec).job.programArguments).toEqual(['/bin/nc.openbsd', '-N', '-U', spec.coreSocketPath]);
  });
});

describe('plistXml', () => {
  it('refuses text XML 1.0 cannot carry, a duplicate key and a non-integer number', () => {
    expect(() => plistEscape('a\u0000b')).toThrow(/control character/);
    expect(() => plistEscape('a\rb')).toThrow(/carriage return/);
    expect(() => plistEscape('\uffff')).toThrow(/not characters/);
    expect(plistEscape('tab\tand\nline')).toBe('tab\tand\nline');
    expect(() => plistXml(plistDict([['A', 'x'], ['A', 'y']]))).toThrow(/twice/);
    expect(() => plistXml(plistDict([['Mode', 0.5]]))).toThrow(/whole number/);
    expect(() => plistXml(plistDict([['Mode<', 1]]))).not.toThrow();
    expect(plistXml(plistDict([['Mode<', 1]]))).toContain('<key>Mode&lt;</key>');
  });
});
