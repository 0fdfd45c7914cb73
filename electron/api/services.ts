import type { CloudSummary, ConsoleConnectInfo, ListServersArgs, ServerPage } from './contract.ts';

/**
 * What the handlers need from the OpenStack side. electron/openstack implements it over real clouds; tests may
 * implement it over anything. Methods throw AppError with a message an administrator understands.
 */
export interface ConsoleService {
  listClouds(): Promise<CloudSummary[]>;
  listServers(args: ListServersArgs): Promise<ServerPage>;
  consoleUrl(cloud: string, server: string): Promise<{ cloud: string; serverId: string; url: string }>;
  resolve(url: string, cloud?: string): Promise<ConsoleConnectInfo>;
}
