// libs/network: the public door of tsstack's networking (see docs/network.md).
//
// Contract with the node agent and the container runtime:
//   const net = await NetworkManager.open({ stateDir, nodeId, nodeAddress })   // re-adopts after a restart
//   await net.createNetwork({ id, driver, internal, ipam })  or  await net.applyAssignment(assignment)
//   const nsPath = await net.createTaskNetns(taskId)        // BEFORE the container; it joins nsPath (setns)
//   const r = await net.attachTask({ taskId, netnsPath: nsPath, networkId, address?, aliases, service })
//        -> { interface, address, gateway, mac, mtu, dnsServer, resolvConfPath }  (bind-mount resolvConfPath)
//   await net.publishPorts(taskId, ports)  /  await net.setIngress(ingressPorts)
//   await net.setServing(taskId, false)                     // leave DNS and VIPs before stopping a task
//   await net.removeTaskNetns(taskId)                       // detaches from every network, then removes
//   await net.removeNetwork(id)  /  await net.reconcile({ tasks, networks })  /  await net.inventory()
export { NetworkManager } from './src/network-manager';
export { planHostPorts, EPHEMERAL_RANGE } from './src/port-plan';
export type { PortRequest } from './src/port-plan';
export {
  createTaskNetns,
  listTaskNetns,
  removeTaskNetns,
  taskNetnsPath,
  DEFAULT_NETNS_DIR,
} from './src/netns';
export { Ipam, DEFAULT_POOLS } from './src/ipam';
export type { IpamNetwork, IpamPool, IpamState, NetworkDriverName, NetworkRequest } from './src/ipam';
export {
  NetworkConfigError,
  NetworkSystemError,
  AddressExhaustedError,
  NetworkInUseError,
  NetnsTakenError,
} from './src/errors';
export { CLAIMS_DIR, claimNetnsWhenFree } from './src/netns-claim';
export { macForAddress, bridgeName, vxlanName } from './src/names';
export { DnsNames } from './src/dns-names';
export { DnsServer, readUpstreams } from './src/dns.server';
export { renderTable, renderReplaceBatch, NFT_TABLE } from './src/nft-ruleset';
export { planFirewall } from './src/firewall-plan';
export { netlink } from './src/native/net-binding';
export type * from './src/types';
