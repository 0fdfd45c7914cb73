import type { CloudSummary } from '../common/contract.ts';

/** The clouds the sidebar lists: all of them, less the embedded demo when the settings hide it. */
export function visibleClouds(all: CloudSummary[], hideDemoCloud: boolean): CloudSummary[] {
  return hideDemoCloud ? all.filter((c) => !c.isDemo) : all;
}
