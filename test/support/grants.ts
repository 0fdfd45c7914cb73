import type { RdpGrant, SessionGrant } from '../../electron/common/contract.ts';

/** The grant as an RDP grant: a test that expects RDP fails here, with what it got instead. */
export function rdpGrant(grant: SessionGrant): RdpGrant {
  if (grant.protocol !== 'rdp') throw new Error(`expected an RDP grant, got a ${grant.protocol} grant`);
  return grant;
}
