/**
 * The log-view benchmark's serve child: the real headless door (in-process core + serve, temp
 * state dir given as argv[2], no VM started) whose log hub it feeds on the parent's word. Run
 * with --expose-gc so its memory figures are measured after a collection.
 */
import { getEachMessage, sendMessage } from 'execa';
import type { Core } from '../core/core.js';
import type { LogHub } from '../core/logs/logHub.js';
import { createCore } from '../core/createCore.js';
import { startServe } from '../doors/serve.js';
import { benchRunLine } from './logViewLines.js';
import { feedAsFastAsTaken, feedAtRate, preparedRun } from './logViewFeed.js';
import { isMessageKind, type FromServe, type ToServe } from './logViewProtocol.js';

const reply = (message: FromServe) => sendMessage(message);

async function main(): Promise<void> {
  const stateDir = process.argv[2];
  if (!stateDir) throw new Error('usage: logViewServer.js <state dir>');
  let hub: LogHub | undefined;
  let core: Core | undefined;
  const serve = await startServe({
    stateDir,
    port: 0,
    createCore: async (options) => {
      core = await createCore({ ...options, onLogHub: (created) => (hub = created) });
      return core;
    },
  });
  if (!hub || !core) throw new Error('the core did not hand over its log hub');
  const logs: LogHub = hub;
  const owned: Core = core;
  await reply({ kind: 'ready', url: serve.url });
  let prepared: { runId: string; count: number; appends: string[] } | null = null;
  for await (const message of getEachMessage()) {
    const command = message as ToServe;
    try {
      if (isMessageKind(command, 'prepare')) {
        prepared = { runId: command.runId, count: command.count, appends: preparedRun(command.count, (i) => benchRunLine(i, command.count, command.runId)) };
        await reply({ kind: 'prepared', runId: command.runId });
      } else if (isMessageKind(command, 'feed')) {
        const lineAt = (i: number) => benchRunLine(i, command.count, command.runId);
        let fed;
        if (command.ratePerSecond !== null) {
          fed = await feedAtRate(logs, command.count, command.ratePerSecond, lineAt);
        } else {
          if (prepared?.runId !== command.runId || prepared.count !== command.count) throw new Error(`run ${command.runId} was not prepared`);
          const { appends } = prepared;
          fed = await feedAsFastAsTaken(logs, command.count, (k) => appends[k] as string);
          prepared = null;
        }
        await reply({ kind: 'fed', ...fed });
      } else if (isMessageKind(command, 'ringLines')) {
        await owned.handle('settings.set', { patch: { logs: { ringLines: command.lines } } }, 'cli');
        await reply({ kind: 'ringLinesSet', lines: command.lines });
      } else if (isMessageKind(command, 'memory')) {
        global.gc?.();
        const usage = process.memoryUsage();
        await reply({ kind: 'memory', rssBytes: usage.rss, heapUsedBytes: usage.heapUsed });
      } else if (isMessageKind(command, 'close')) {
        await serve.close({ stopBuilder: true });
        await reply({ kind: 'closed' });
        // As the CLI's serve does: once the core is closed, nothing else is worth waiting for.
        process.exit(0);
      }
    } catch (error) {
      await reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  }
}

main().catch(async (error: unknown) => {
  await reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }).catch(() => undefined);
  process.exitCode = 1;
});
