import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeIronError, IronErrorKind } from '../../../../../renderer/consoles/rdp/engine/iron-errors.ts';
import { EngineError } from '../../../../../renderer/consoles/rdp/engine/types.ts';

// Objects shaped like IronRDP's IronError (kind(), backtrace(), rdcleanpathDetails()).
const iron = (kind: number, trace = '', details?: object) => ({ kind: () => kind, backtrace: () => trace, rdcleanpathDetails: () => details });

test('IronRDP error kinds become sentences with a category', () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [iron(IronErrorKind.wrongPassword), 'credentials', /wrong user name or password/],
    [iron(IronErrorKind.logonFailure), 'credentials', /refused the logon/],
    [iron(IronErrorKind.accessDenied), 'credentials', /denied this user/],
    [iron(IronErrorKind.proxyConnect), 'gateway', /gateway could not be reached/],
    [iron(IronErrorKind.negotiationFailure), 'negotiation', /Network Level Authentication/],
    [iron(IronErrorKind.rdcleanpath, '', { httpStatusCode: 403 }), 'gateway', /token is invalid, already used or expired/],
    [iron(IronErrorKind.rdcleanpath, '', { wsaErrorCode: 10061 }), 'network', /refused the connection/],
    [iron(IronErrorKind.rdcleanpath, '', { wsaErrorCode: 11001 }), 'network', /DNS/],
    [iron(IronErrorKind.rdcleanpath, '', { tlsAlertCode: 42 }), 'gateway', /certificate was not trusted/],
    [iron(IronErrorKind.general, 'CredSSP: not enough bytes\nmore'), 'credentials', /login failed or the server closed the connection during authentication/],
    [iron(IronErrorKind.general, 'unexpected PDU\nstack'), 'protocol', /^the RDP connection failed: unexpected PDU$/],
    [new Error('boom'), 'internal', /boom/],
  ];
  for (const [err, kind, message] of cases) {
    const e = describeIronError(err);
    assert.ok(e instanceof EngineError);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
  }
});
