/** One log line as `logs` prints it: local time, source, level when it matters, the text. */
import type { LogLine } from '../../ipc/contract.js';
import { keepingColors } from './terminalText.js';

export function formatLogLine(line: LogLine): string {
  const time = new Date(line.time);
  const clock = [time.getHours(), time.getMinutes(), time.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
  const level = line.level === 'warn' || line.level === 'error' ? ` ${line.level.toUpperCase()}` : '';
  return `${clock}.${String(time.getMilliseconds()).padStart(3, '0')} [${line.source}]${level} ${keepingColors(line.text)}`;
}
