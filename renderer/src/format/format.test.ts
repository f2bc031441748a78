import { describe, expect, it } from 'vitest';
import {
  availableActions,
  describeAccelerator,
  describeRestart,
  describeState,
  formatBytes,
  formatClock,
  formatDuration,
  stripAnsi,
  usageFraction,
} from './format.js';

describe('formatting for the Dashboard', () => {
  it('shows durations with at most two units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(12.9)).toBe('12s');
    expect(formatDuration(252)).toBe('4m 12s');
    expect(formatDuration(7_500)).toBe('2h 5m');
    expect(formatDuration(3 * 86_400 + 4 * 3_600 + 59)).toBe('3d 4h');
    expect(formatDuration(-5)).toBe('0s');
  });

  it('shows sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512 MiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(formatBytes(20 * 1024 ** 3)).toBe('20 GiB');
    expect(formatBytes(1024 ** 3)).toBe('1 GiB');
  });

  it('shows log times as local clock time with milliseconds', () => {
    const at = new Date(2025, 0, 2, 14, 3, 22, 45).getTime();
    expect(formatClock(at)).toBe('14:03:22.045');
  });

  it('names each state, with the supervisor detail only while busy', () => {
    expect(describeState({ state: 'starting', detail: 'waiting for ssh' })).toEqual({
      word: 'Starting…',
      detail: 'waiting for ssh',
      tone: 'busy',
    });
    expect(describeState({ state: 'ready', detail: 'ssh ok' })).toEqual({ word: 'Ready', detail: null, tone: 'good' });
    expect(describeState({ state: 'error', detail: '' }).word).toBe('Error');
    expect(describeState({ state: 'stopped', detail: '' }).word).toBe('Stopped');
    expect(describeState({ state: 'stopping', detail: '' }).word).toBe('Stopping…');
  });

  it('says TCG is slow and why it was chosen', () => {
    expect(describeAccelerator({ name: 'tcg', reason: 'kvm probe failed' })).toBe('TCG (slow): kvm probe failed');
    expect(describeAccelerator({ name: 'kvm', reason: 'probe ok' })).toBe('KVM');
    expect(describeAccelerator(null)).toBe('—');
  });

  it('describes the restart policy at work', () => {
    const now = 1_000_000;
    expect(describeRestart({ attempts: 0, nextAt: null, gaveUp: false }, now)).toBeNull();
    expect(describeRestart({ attempts: 1, nextAt: now + 8_200, gaveUp: false }, now)).toBe('Restart attempt 2 in 9s');
    expect(describeRestart({ attempts: 5, nextAt: null, gaveUp: true }, now)).toMatch(/^Gave up restarting after 5 attempts/);
  });

  it('enables the buttons that make sense in each state', () => {
    expect(availableActions('stopped')).toEqual({ start: true, stop: false, forceStop: false, restart: false });
    expect(availableActions('starting')).toEqual({ start: false, stop: true, forceStop: true, restart: false });
    expect(availableActions('ready')).toEqual({ start: false, stop: true, forceStop: true, restart: true });
    expect(availableActions('stopping')).toEqual({ start: false, stop: false, forceStop: true, restart: false });
    expect(availableActions('error').start).toBe(true);
    expect(availableActions('error').forceStop).toBe(true);
  });

  it('clamps usage bars', () => {
    expect(usageFraction(1, 4)).toBe(0.25);
    expect(usageFraction(5, 4)).toBe(1);
    expect(usageFraction(1, 0)).toBe(0);
  });

  it('strips terminal escapes from console text', () => {
    expect(stripAnsi('\u001b[32mOK\u001b[0m done\r')).toBe('OK done');
    expect(stripAnsi('\u001b[?25lplain')).toBe('plain');
  });
});
