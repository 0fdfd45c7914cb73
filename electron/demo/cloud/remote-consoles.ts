// The request bodies of Nova's console APIs (nova/api/openstack/compute/schemas/remote_consoles.py): the
// per-protocol actions of microversions 2.1-2.5 and the unified remote-consoles resource of 2.6+. Nova 29 (2024.1)
// took rdp and rdp-html5 out of the remote-consoles enums, so an RDP request fails validation there.
import type { Schema } from './schema.ts';

function actionSchema(action: string, types: string[]): Schema {
  return {
    type: 'object',
    properties: {
      [action]: {
        type: 'object',
        properties: { type: { type: 'string', enum: types } },
        required: ['type'],
        additionalProperties: false,
      },
    },
    required: [action],
    additionalProperties: false,
  };
}

/** Action name → [protocol its handler serves, schema]. All of them exist at 2.1-2.5 only. */
export const CONSOLE_ACTIONS: Record<string, { protocol: string; schema: Schema }> = {
  'os-getRDPConsole': { protocol: 'rdp', schema: actionSchema('os-getRDPConsole', ['rdp-html5']) },
  'os-getVNCConsole': { protocol: 'vnc', schema: actionSchema('os-getVNCConsole', ['novnc', 'xvpvnc']) },
  'os-getSPICEConsole': { protocol: 'spice', schema: actionSchema('os-getSPICEConsole', ['spice-html5']) },
  'os-getSerialConsole': { protocol: 'serial', schema: actionSchema('os-getSerialConsole', ['serial']) },
};

/** 2.6 introduced remote-consoles; 2.8 added the mks protocol and the webmks type; 2024.1 removed rdp. */
export function remoteConsoleSchema(withMks: boolean, withRdp = true): Schema {
  return {
    type: 'object',
    properties: {
      remote_console: {
        type: 'object',
        properties: {
          protocol: { type: 'string', enum: ['vnc', 'spice', ...(withRdp ? ['rdp'] : []), 'serial', ...(withMks ? ['mks'] : [])] },
          type: {
            type: 'string',
            enum: ['novnc', 'xvpvnc', ...(withRdp ? ['rdp-html5'] : []), 'spice-html5', 'serial', ...(withMks ? ['webmks'] : [])],
          },
        },
        required: ['protocol', 'type'],
        additionalProperties: false,
      },
    },
    required: ['remote_console'],
    additionalProperties: false,
  };
}
