import { describe, expect, it } from 'vitest';
import { pageLink, tokenFromHash, webSocketUrl } from './pickApi.js';

describe('the headless door address', () => {
  it('reads the token from the fragment serve prints', () => {
    expect(tokenFromHash('#token=abc123')).toBe('abc123');
    expect(tokenFromHash('#other=1&token=x%2By')).toBe('x+y');
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#token=')).toBeNull();
  });

  it('connects to /ws on the host that served the page', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:4567' }, 'a b')).toBe(
      'ws://127.0.0.1:4567/ws?token=a%20b',
    );
    expect(webSocketUrl({ protocol: 'https:', host: 'localhost' }, 't')).toBe('wss://localhost/ws?token=t');
  });

  it('keeps the token on links to the Logs window', () => {
    expect(pageLink('logs.html', 'abc')).toBe('logs.html#token=abc');
    expect(pageLink('logs.html', null)).toBe('logs.html');
  });
});
