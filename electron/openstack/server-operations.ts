import type { ConsoleLog, ServerAction, ServerDetails } from '../common/contract.ts';
import { isObject, parseErrorEnvelope, requireBody, serverSays } from './envelope.ts';
import { AppError, displayUrl } from './errors.ts';
import type { HttpResponse } from './http.ts';
import type { NovaClient } from './compute.ts';
import { readServerDetails } from './server-details.ts';

/**
 * A server beside its console: details, the power actions an administrator takes next to a console, and the
 * console log. Nova's refusals are passed on in Nova's words, because they say exactly what is wrong ("Cannot
 * 'stop' instance … while it is in vm_state stopped").
 */

/** Each action's body for `POST /servers/{id}/action` (Nova's API reference, "Servers - run an action"). */
const ACTION_BODIES: Readonly<Record<ServerAction, Record<string, unknown>>> = {
  start: { 'os-start': null },
  stop: { 'os-stop': null },
  'reboot-soft': { reboot: { type: 'SOFT' } },
  'reboot-hard': { reboot: { type: 'HARD' } },
  pause: { pause: null },
  unpause: { unpause: null },
  suspend: { suspend: null },
  resume: { resume: null },
};

const ACTION_WORDS: Readonly<Record<ServerAction, string>> = {
  start: 'start',
  stop: 'stop',
  'reboot-soft': 'reboot',
  'reboot-hard': 'hard-reboot',
  pause: 'pause',
  unpause: 'unpause',
  suspend: 'suspend',
  resume: 'resume',
};

export interface ServerOperationsOptions {
  cloud: string;
  nova: NovaClient;
  /** An image's name by id (the image service), or undefined; never throws. */
  imageName?: (id: string) => Promise<string | undefined>;
}

export class ServerOperations {
  constructor(private readonly opts: ServerOperationsOptions) {}

  async details(server: string): Promise<ServerDetails> {
    const { nova, cloud } = this.opts;
    const found = await nova.findServer(server.trim());
    const res = await nova.call('GET', `/servers/${encodeURIComponent(found.id)}`);
    if (res.status !== 200) throw this.failure(res, `show server ${found.name}`);
    const body = requireBody(res, this.who());
    if (!isObject(body.server)) throw new AppError('bad-response', `${this.who()} answered a server lookup without 'server'`);
    const details = readServerDetails(cloud, body.server);
    if (details.image && this.opts.imageName) details.image.name = await this.opts.imageName(details.image.id);
    return details;
  }

  /** Resolves once Nova accepted the action (202); the server's state changes afterwards. */
  async action(server: string, action: ServerAction): Promise<void> {
    const body = ACTION_BODIES[action] as Record<string, unknown> | undefined;
    if (!body) throw new AppError('bad-request', `Unknown server action ${JSON.stringify(action)}`);
    const { nova } = this.opts;
    const found = await nova.findServer(server.trim());
    const res = await nova.call('POST', `/servers/${encodeURIComponent(found.id)}/action`, { body });
    if (res.status === 202 || res.status === 200 || res.status === 204) return;
    throw this.failure(res, `${ACTION_WORDS[action]} server ${found.name}`);
  }

  /**
   * The last `lines` lines of the console log, or all of it. Nova answers 501 (or 404 "Guest does not have a
   * console available") when the driver keeps no log: that is 'unavailable', not an error of the app.
   */
  async consoleLog(server: string, lines?: number): Promise<ConsoleLog> {
    if (lines !== undefined && !(Number.isInteger(lines) && lines >= 1)) throw new AppError('bad-request', 'lines must be a positive whole number');
    const { nova } = this.opts;
    const found = await nova.findServer(server.trim());
    const res = await nova.call('POST', `/servers/${encodeURIComponent(found.id)}/action`, {
      body: { 'os-getConsoleOutput': { length: lines ?? null } },
    });
    if (res.status === 501 || (res.status === 404 && /console/i.test(parseErrorEnvelope(res)?.message ?? ''))) {
      throw new AppError('unavailable', `Server ${found.name} keeps no console log: its hypervisor does not offer one (Nova: ${serverSays(res)})`);
    }
    if (res.status !== 200) throw this.failure(res, `get the console log of server ${found.name}`);
    const output = requireBody(res, this.who()).output;
    if (typeof output !== 'string') throw new AppError('bad-response', `${this.who()} answered a console log request without 'output'`);
    return { output, lines: lines ?? null };
  }

  private who(): string {
    return `Nova of cloud '${this.opts.cloud}'`;
  }

  /** Nova's own sentence for a refusal; the codes the page tells apart (409 conflict, 403 forbidden, 404). */
  private failure(res: HttpResponse, what: string): AppError {
    const says = serverSays(res);
    switch (res.status) {
      case 409:
        return new AppError('conflict', `Nova refused to ${what}: ${says}`);
      case 403:
        return new AppError('forbidden', `Cloud '${this.opts.cloud}' does not allow this user to ${what} (403: ${says})`);
      case 404:
        return new AppError('not-found', `${this.who()}: not found while trying to ${what} (${says})`);
      case 401:
        return new AppError('auth-failed', `${this.who()} refused a fresh Keystone token to ${what} (401 at ${displayUrl(res.url)})`);
      default:
        return new AppError('bad-response', `${this.who()} failed to ${what} (${res.status} at ${displayUrl(res.url)}): ${says}`);
    }
  }
}
