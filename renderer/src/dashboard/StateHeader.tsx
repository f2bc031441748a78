/**
 * The top of the Dashboard: the state as a coloured dot and a word (with what the supervisor
 * is doing while busy), then the facts a user checks first: profile, accelerator, port, pid,
 * the Nix Builder Bar runs (or why there is none), and where the other programs were found.
 */
import type { HostTools, NixInUse, Status } from '../api/contract.js';
import { describeNixInUse } from '../../../electron/ipc/describeNixInUse.js';
import { onDemandLine } from '../../../electron/ipc/describeOnDemand.js';
import { describeHostToolList, describeLoginShell } from '../../../electron/ipc/describeHostTools.js';
import { pageLink } from '../api/pickApi.js';
import { useDoor } from '../components/doorContext.js';
import { useNow } from '../components/useNow.js';
import { describeAccelerator, describeState, formatDuration } from '../format/format.js';

export function StateHeader({ status, nix, hostTools }: { status: Status | null; nix: NixInUse | null; hostTools: HostTools | null }) {
  const missing = hostTools?.tools.filter((tool) => tool.path === null).map((tool) => tool.name) ?? [];
  const { door } = useDoor();
  const now = useNow();
  const state = status ? describeState(status) : null;
  return (
    <header className="state-header">
      <div className="state-line">
        <div className="state" role="status" aria-label="Builder state" aria-live="polite">
          <span className={`dot dot-${state?.tone ?? 'neutral'}`} aria-hidden="true" />
          <span className="state-word">{state?.word ?? 'Loading…'}</span>
          {state?.detail ? <span className="state-detail"> {state.detail}</span> : null}
          {status && status.state === 'ready' ? (
            <span className="state-detail"> for {formatDuration((now - status.since) / 1000)}</span>
          ) : null}
        </div>
        <a className="link-button" href={pageLink('logs.html', door.token)} target="_blank" rel="noopener">
          Open Logs
        </a>
      </div>
      {status ? (
        <dl className="facts">
          <div>
            <dt>Profile</dt>
            <dd>{status.profile}</dd>
          </div>
          <div>
            <dt>Accelerator</dt>
            <dd className={status.accelerator?.name === 'tcg' ? 'warn-text' : undefined}>
              {describeAccelerator(status.accelerator)}
            </dd>
          </div>
          <div>
            <dt>SSH port</dt>
            <dd>{status.sshPort !== null ? `127.0.0.1:${status.sshPort}` : '—'}</dd>
          </div>
          <div>
            <dt>PID</dt>
            <dd>{status.pid ?? '—'}</dd>
          </div>
          {nix ? (
            <div>
              <dt>Nix</dt>
              <dd className={nix.found ? 'mono' : 'warn-text'} title={nix.found ? describeNixInUse(nix) : nix.hint} aria-label="Nix in use">
                {nix.found ? `${nix.version} in ${nix.binDir}` : describeNixInUse(nix)}
              </dd>
            </div>
          ) : null}
          {onDemandLine(status, now) !== null ? (
            <div>
              <dt>On demand</dt>
              <dd aria-label="On demand">{onDemandLine(status, now)!.replace(/^On demand: /, '')}</dd>
            </div>
          ) : null}
          {hostTools ? (
            <div>
              <dt>Tools</dt>
              <dd
                className={missing.length > 0 ? 'warn-text' : undefined}
                title={[...describeHostToolList(hostTools), `Login shell: ${describeLoginShell(hostTools)}`].join('\n')}
                aria-label="Where the programs Builder Bar runs were found"
              >
                {missing.length > 0 ? `not found: ${missing.join(', ')}` : `all found${hostTools.loginShell.ok ? ' (with the login shell\'s PATH)' : ''}`}
              </dd>
            </div>
          ) : null}
          {status.adopted ? (
            <div>
              <dt>Adopted</dt>
              <dd title="This core found the builder already running and took it over">yes</dd>
            </div>
          ) : null}
        </dl>
      ) : null}
    </header>
  );
}
