/**
 * The narrow face of the log hub that producers (the supervisor, QEMU's console, ssh) write
 * to. Text may hold several lines; the hub splits them, stamps them and keeps them bounded.
 */
import type { LogLevel, LogSource } from '../../ipc/contract.js';

export interface LogSink {
  append(source: LogSource, level: LogLevel, text: string): void;
}
