// Every fuzz target, one module per parser family; `npm run fuzz` and the test run them all.
import type { FuzzTarget } from './harness.ts';
import { targets as consoleLinks } from './console-links.ts';
import { targets as openstackConfig } from './openstack-config.ts';
import { targets as openstackAnswers } from './openstack-answers.ts';
import { targets as rdpGateway } from './rdp-gateway.ts';
import { targets as xrdpRepair } from './xrdp-repair.ts';
import { targets as relay } from './relay.ts';

export const TARGETS: readonly FuzzTarget<never>[] = [...consoleLinks, ...openstackConfig, ...openstackAnswers, ...rdpGateway, ...xrdpRepair, ...relay] as FuzzTarget<never>[];

export function targetNamed(name: string): FuzzTarget<unknown> | undefined {
  return TARGETS.find((t) => t.name === name);
}
