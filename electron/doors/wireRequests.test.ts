import { describe, expect, it } from 'vitest';
import { parseWireRequest } from './wireRequests.js';

describe('parseWireRequest', () => {
  it('takes a request without input (dispatch reads it as {}), and refuses unknown fields with the id for the reply', () => {
    expect(parseWireRequest('{"id":1,"name":"vm.status"}')).toEqual({ ok: true, message: { id: 1, name: 'vm.status' } });
    expect(parseWireRequest('{"id":2,"name":"vm.status","input":{}}')).toEqual({ ok: true, message: { id: 2, name: 'vm.status', input: {} } });
    const refused = parseWireRequest('{"id":3,"name":"vm.status","extra":1}');
    expect(refused).toMatchObject({ ok: false, id: 3, error: { code: 'invalid-request' } });
  });
});
