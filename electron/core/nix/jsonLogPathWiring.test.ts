import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyWiring, removeWiring } from './applyWiring.js';
import { currentAccount, jsonLogPathLines, jsonLogPathProblem, systemLogRelay } from './jsonLogPathWiring.js';
import { launchdLogSocketActivator } from './launchdLogSocket.js';
import { planWiring } from './planWiring.js';
import { readWiringRecord } from './wiringRecord.js';
import type { WiringTarget } from './wiringTarget.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

const builder = testBuilder({ port: 41234, user: 'root' });
let sandbox: WiringSandbox;
let target: WiringTarget;
let socketPath: string;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-jsonlog-');
  target = { kind: 'confDir', dir: sandbox.confDir };
  socketPath = path.join(sandbox.stateDir, 'nix-log.sock');
});
afterEach(() => sandbox.remove());

const planWith = async (nixVersion: string | null) =>
  planWiring({
    target,
    builder,
    clientPrivateKey: TEST_CLIENT_KEY,
    record: await readWiringRecord(sandbox.stateDir),
    jsonLogPath: { socketPath, nixVersion },
  });

const nixConfAfter = (plan: Awaited<ReturnType<typeof planWith>>) => plan.files.find((file) => file.role === 'nix.conf')!.after;

describe('json-log-path in the nix.conf block', () => {
  it('Nix 2.34.8: the block points json-log-path at the core\'s socket, and remove restores the file byte for byte', async () => {
    const nixConf = path.join(sandbox.confDir, 'nix.conf');
    const original = '# mine\nmax-jobs = 4\n';
    await fs.writeFile(nixConf, original);
    const plan = await planWith('2.34.8');
    expect(nixConfAfter(plan)).toContain(`\njson-log-path = ${socketPath}\n`);
    expect(plan.files.find((file) => file.role === 'nix.conf')!.diff).toContain(`+json-log-path = ${socketPath}`);
    await applyWiring(plan, sandbox.stateDir);
    expect(await fs.readFile(nixConf, 'utf8')).toContain(`json-log-path = ${socketPath}`);
    await removeWiring(sandbox.stateDir);
    expect(await fs.readFile(nixConf, 'utf8')).toBe(original);
  });

  it('Nix 2.8.0 (and no Nix found): no json-log-path line, which that Nix would warn about on every command', async () => {
    expect(nixConfAfter(await planWith('2.8.0'))).not.toContain('json-log-path');
    expect(nixConfAfter(await planWith('2.29.1'))).not.toContain('json-log-path');
    expect(nixConfAfter(await planWith(null))).not.toContain('json-log-path');
  });

  it('a json-log-path the user set is never clobbered, and the plan says so', async () => {
    const nixConf = path.join(sandbox.confDir, 'nix.conf');
    await fs.writeFile(nixConf, 'json-log-path = /var/log/my-nix.json\n');
    const plan = await planWith('2.34.8');
    const after = nixConfAfter(plan);
    expect(after).not.toMatch(/^json-log-path = (?!\/var\/log\/my-nix\.json)/m);
    expect(after.match(/^json-log-path =/gm)).toHaveLength(1);
    expect(plan.files.find((file) => file.role === 'nix.conf')!.diff).toContain(
      "+# json-log-path is set above (/var/log/my-nix.json) and stays yours: Builder Bar's queue shows only the builds it starts.",
    );
  });
  it('a json-log-path the user set in an included file is kept too: Nix reads the include, and our later line would win', async () => {
    const nixConf = path.join(sandbox.confDir, 'nix.conf');
    await fs.writeFile(path.join(sandbox.confDir, 'logging.conf'), 'json-log-path = /var/log/my-nix.json\n');
    await fs.writeFile(nixConf, 'include logging.conf\n');
    const after = nixConfAfter(await planWith('2.34.8'));
    expect(after).not.toContain(`json-log-path = ${socketPath}`);
    expect(after).toContain('# json-log-path is set above (/var/log/my-nix.json) and stays yours');
  });
});

describe('jsonLogPathLines', () => {
  it('says why a path nix.conf cannot carry is left out, instead of writing a line that means something else', () => {
    expect(jsonLogPathLines(null, { socketPath: '/Users/me/Library/Application Support/Builder Bar/nix-log.sock', nixVersion: '2.30.0' })).toEqual([
      'json-log-path = /Users/me/Library/Application Support/Builder Bar/nix-log.sock',
    ]);
    expect(jsonLogPathLines(null, { socketPath: '/home/me/a#b/nix-log.sock', nixVersion: '2.34.8' })[0]).toMatch(/^# json-log-path not set: .*"#"/);
    expect(jsonLogPathProblem('/home/me/two  spaces/nix-log.sock')).toMatch(/whitespace/);
    expect(jsonLogPathProblem(`/${'x'.repeat(120)}/nix-log.sock`)).toMatch(/longer than a unix socket path/);
    expect(jsonLogPathLines(null, { socketPath: '/tmp/s', nixVersion: '2.34.8' })).toEqual(['json-log-path = /tmp/s']);
    expect(jsonLogPathLines('/tmp/s', { socketPath: '/tmp/s', nixVersion: '2.34.8' })).toEqual([]);
  });

  it("never points root's nix-daemon (the system target) at the core's socket: it gets the relay's socket in a root-owned place", () => {
    const wish = { socketPath: '/Users/me/Library/Application Support/Builder Bar/nix-log.sock', nixVersion: '2.34.8' };
    const relay = systemLogRelay(wish, launchdLogSocketActivator('darwin'), { uid: 501, userName: 'me' });
    expect(relay).toMatchObject({ plan: { job: { socketPath: '/private/var/run/builder-bar-nix-log-501.sock', programArguments: ['/usr/bin/nc', '-U', wish.socketPath] } } });
    expect(jsonLogPathLines(null, wish, relay)).toEqual(['json-log-path = /private/var/run/builder-bar-nix-log-501.sock']);
    expect(jsonLogPathLines(null, wish, relay).join('\n')).not.toContain(wish.socketPath);
  });

  it("the system target keeps the user's own json-log-path too, and says so; the relay's socket set by hand needs no line", () => {
    const wish = { socketPath: '/Users/me/state/nix-log.sock', nixVersion: '2.34.8' };
    const relay = systemLogRelay(wish, launchdLogSocketActivator('darwin'), { uid: 501, userName: 'me' });
    expect(jsonLogPathLines('/var/log/my-nix.json', wish, relay)).toEqual([
      "# json-log-path is set above (/var/log/my-nix.json) and stays yours: Builder Bar's queue shows only the builds it starts.",
    ]);
    expect(jsonLogPathLines('/private/var/run/builder-bar-nix-log-501.sock', wish, relay)).toEqual([]);
    expect(jsonLogPathLines(null, { ...wish, nixVersion: '2.8.0' }, relay)).toEqual([]);
  });

  it('when the relay cannot be set up (a state path that could read as an option, a bad account name), the block says why and names no socket', () => {
    const wish = { socketPath: '-oops/nix-log.sock', nixVersion: '2.34.8' };
    const relay = systemLogRelay(wish, launchdLogSocketActivator('darwin'), { uid: 501, userName: 'me' });
    expect(relay).toEqual({ problem: 'The log relay for root\'s nix-daemon cannot be set up: the state dir\'s socket path starts with "-".' });
    const lines = jsonLogPathLines(null, wish, relay);
    expect(lines).toEqual([expect.stringMatching(/^# json-log-path not set: root's nix-daemon may only write to a socket in a root-owned place, and its relay cannot be set up \(.*starts with "-"/)]);
    const badName = systemLogRelay({ socketPath: '/Users/me/state/nix-log.sock', nixVersion: '2.34.8' }, launchdLogSocketActivator('darwin'), { uid: 501, userName: 'me</string>' });
    expect(badName).toMatchObject({ problem: expect.stringMatching(/account name/) as unknown as string });
  });

  it("the relay's job is this process's user's: its uid names the socket, label and plist", () => {
    const relay = systemLogRelay({ socketPath: '/home/me/state/nix-log.sock', nixVersion: '2.34.8' });
    if (!('plan' in relay)) throw new Error(relay.problem);
    expect(currentAccount().uid).toBe(process.getuid?.());
    expect(relay.plan.job.socketOwner).toBe(process.getuid?.());
    expect(relay.plan.jobFile.path).toBe(`/Library/LaunchDaemons/dev.builder-bar.nix-log.${process.getuid?.()}.plist`);
  });
});
