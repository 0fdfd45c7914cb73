// Error envelopes exactly as the real services write them.
//  - Nova (nova/api/openstack/wsgi.py Fault): {"<faultName>": {"code": N, "message": "..."}}
//  - Keystone and keystonemiddleware: {"error": {"code": N, "message": "...", "title": "..."}}
//  - The seed's XML era: <itemNotFound code="404" xmlns="..."><message>...</message></itemNotFound>
import { XMLBuilder } from 'fast-xml-parser';
import type { Headers } from './http.ts';

const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** Nova names every status it has no entry for (406 included) "computeFault". */
export function novaFaultName(status: number): string {
  return NOVA_FAULT_NAMES[status] ?? 'computeFault';
}

/** A failure a compute route raises; the router turns it into the fault envelope. */
export class NovaError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Headers = {},
  ) {
    super(message);
  }
}

export function novaFaultBody(status: number, message: string, name = novaFaultName(status)): Record<string, { code: number; message: string }> {
  return { [name]: { code: status, message } };
}

const XML_NAMESPACE = 'http://docs.openstack.org/compute/api/v1.1';
const xmlBuilder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true, indentBy: '    ' });

export function novaFaultXml(status: number, message: string, name = novaFaultName(status)): string {
  const doc = { [name]: { '@code': String(status), '@xmlns': XML_NAMESPACE, message } };
  return "<?xml version='1.0' encoding='UTF-8'?>\n" + xmlBuilder.build(doc);
}

// Common Nova messages, kept in one place so tests and routes agree on the wording.
export const msg = {
  notFoundResource: 'The resource could not be found.',
  instanceNotFound: (id: string) => `Instance ${id} could not be found.`,
  instanceNotReady: (id: string) => `Instance ${id} is not ready`,
  consoleNotAvailable: 'Guest does not have a console available.',
  /** nova/api/openstack/common.py raise_http_conflict_for_instance_invalid_state, from an InstanceInvalidState. */
  invalidState: (action: string, id: string, attr: string, state: string) => `Cannot '${action}' instance ${id} while it is in ${attr} ${state}`,
  tokenNotFound: 'Token not found',
  malformedBody: 'Malformed request body',
  unsupportedContentType: 'Unsupported Content-Type',
  noSuchAction: (name: string) => `There is no such action: ${name}`,
  policy: (rule: string) => `Policy doesn't allow ${rule} to be performed.`,
  invalidConsoleType: (t: string) => `Invalid console type ${t}`,
  unavailableConsoleType: (t: string) => `Unavailable console type ${t}.`,
  consoleTypeNotAccessible: 'The requested console type details are not accessible',
  /** nova/api/openstack/wsgi.py expected_errors: an exception the method did not expect, with its class. */
  unexpectedApiError: (exceptionClass: string) =>
    `Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.\n<class '${exceptionClass}'>`,
};

export interface KeystoneErrorBody {
  error: { code: number; message: string; title: string };
}

const KEYSTONE_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
};

export function keystoneErrorBody(status: number, message: string): KeystoneErrorBody {
  return { error: { code: status, message, title: KEYSTONE_TITLES[status] ?? 'Error' } };
}

/** Keystone hides why authentication failed (wrong password, unknown user, no role) behind one sentence. */
export const KEYSTONE_UNAUTHORIZED = 'The request you have made requires authentication.';

export class KeystoneError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Keystone's ValidationError wording for a missing attribute. */
export function keystoneMissing(attribute: string, target: string): KeystoneError {
  return new KeystoneError(
    400,
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either ` +
      'malformed or otherwise incorrect. The client is assumed to be in error.',
  );
}
