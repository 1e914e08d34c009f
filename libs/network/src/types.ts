// Public data shapes of libs/network: what the node agent passes in and gets back, and what is persisted
// under the state directory so an agent restart finds (and can clean up) everything it made.
import type { IngressPort, NetworkEndpoint } from '@tsstack/model';
import type { IpamConfig } from '@tsstack/model';
import type { IpamPool, IpamState, NetworkDriverName } from './ipam';

export interface NetworkManagerOptions {
  /** Directory for network-state.json (IPAM, networks, attachments, ports) and per-task resolv.conf files. */
  stateDir: string;
  /** Where task namespaces are bind-mounted; /run/tsstack/netns by default. */
  netnsDir?: string;
  /** The host's network namespace (a path); the agent's own when absent. Tests pass simulated hosts. */
  hostNetns?: string;
  /** This node's id and underlay address (overlay: VXLAN local address, which endpoints are local). */
  nodeId?: string;
  nodeAddress?: string;
  /** DNS forwarders; the host's /etc/resolv.conf nameservers when absent. */
  upstreams?: string[];
  pools?: Record<NetworkDriverName, IpamPool[]>;
  /** Port of the embedded DNS (53). */
  dnsPort?: number;
  /** Underlay MTU override (otherwise read from the link holding nodeAddress, or 1500). */
  underlayMtu?: number;
}

export interface NetworkCreateRequest {
  /** Unique network id, `<stack>_<network>` by convention. */
  id: string;
  driver: string;
  internal?: boolean;
  ipam?: IpamConfig[];
  /** Overlay networks from the controller come with their subnet, gateway and VNI already chosen. */
  subnet?: string;
  gateway?: string;
  vni?: number;
  /** Overlay: this node's own address on the network (source of traffic to remote tasks via VIP/ingress). */
  lbAddress?: string;
  /** service -> VIP (endpoint_mode vip). */
  vips?: Record<string, string>;
  /** New connections from outside may reach every port of its tasks, not only published ones (see opensInbound). */
  openInbound?: boolean;
}

export interface NetworkInfo {
  id: string;
  driver: NetworkDriverName;
  internal: boolean;
  subnet: string;
  gateway: string;
  bridge: string;
  vxlan?: string;
  vni?: number;
  mtu: number;
  vips: Record<string, string>;
}

export interface AttachRequest {
  taskId: string;
  /** The task's namespace, from createTaskNetns. */
  netnsPath: string;
  networkId: string;
  /** Compose ipv4_address, or the address the controller assigned (overlay). */
  address?: string;
  aliases?: string[];
  service: string;
  stack?: string;
  /** `<stack>_<service>.<slot>`; resolvable by the task's peers. Defaults to the task id. */
  taskName?: string;
  /** In DNS answers and VIP/ingress backends now (true by default); see setServing. */
  serving?: boolean;
  /**
   * Return before the packet filter carries the attachment; the caller awaits `rulesApplied()` before the
   * task may serve (the agent overlaps the nft run with creating and starting the container).
   */
  deferRules?: boolean;
}

export interface AttachResult {
  /** Interface name inside the task namespace (eth0, eth1, ...). */
  interface: string;
  address: string;
  prefix: number;
  gateway: string;
  mac: string;
  mtu: number;
  /** The embedded DNS address this task should use (its first network's gateway). */
  dnsServer: string;
  /** A resolv.conf pointing at dnsServer; the runtime bind-mounts it at /etc/resolv.conf. */
  resolvConfPath: string;
}

export interface PublishedPort {
  protocol: 'tcp' | 'udp';
  published: number;
  target: number;
  hostIp?: string;
}

export interface NetworkRecord extends NetworkInfo {
  lbAddress?: string;
  /** See NetworkCreateRequest.openInbound. */
  openInbound?: boolean;
  /** Endpoints on other nodes as the controller last described them (overlay). */
  remote: NetworkEndpoint[];
}

export interface AttachmentRecord {
  taskId: string;
  networkId: string;
  netnsPath: string;
  ifName: string;
  hostVeth: string;
  address: string;
  mac: string;
  aliases: string[];
  service: string;
  stack?: string;
  taskName: string;
  serving: boolean;
  defaultRoute: boolean;
}

export interface NetworkState {
  version: 1;
  ipam: IpamState;
  networks: Record<string, NetworkRecord>;
  attachments: AttachmentRecord[];
  /** Host-mode published ports per task. */
  published: Record<string, PublishedPort[]>;
  ingress: IngressPort[];
}

/** What tsstack holds in the kernel and on disk, for inspection and for tests that assert a clean removal. */
export interface NetworkInventory {
  netns: string[];
  links: string[];
  nftTable: string;
  ipamNetworks: string[];
  allocations: number;
  dnsAddresses: string[];
  resolvConfs: string[];
}
