import { planHostPorts } from './port-plan';

describe('planHostPorts', () => {
  const held = { other: [{ protocol: 'tcp' as const, published: 8080, target: 80 }] };

  it('keeps explicit ports and refuses one another task holds', () => {
    const r = planHostPorts(
      'me',
      [
        { protocol: 'tcp', published: 8080, target: 80 },
        { protocol: 'udp', published: 8080, target: 80 },
      ],
      held,
    );
    expect(r.problems).toEqual(['task me: port 8080:80/tcp is already published by task other']);
    expect(r.ports).toEqual([{ protocol: 'udp', published: 8080, target: 80 }]);
  });

  it('lets two host IPs share a port, but not with an any-address publication', () => {
    const two = { other: [{ protocol: 'tcp' as const, published: 9000, target: 80, hostIp: '192.0.2.1' }] };
    expect(
      planHostPorts('me', [{ protocol: 'tcp', published: 9000, target: 80, hostIp: '192.0.2.2' }], two)
        .problems,
    ).toEqual([]);
    expect(
      planHostPorts('me', [{ protocol: 'tcp', published: 9000, target: 80 }], two).problems,
    ).toHaveLength(1);
  });

  it('picks free ephemeral ports, and says when none is left', () => {
    const r = planHostPorts(
      'me',
      [
        { protocol: 'tcp', target: 80 },
        { protocol: 'tcp', target: 81 },
      ],
      {
        other: [{ protocol: 'tcp', published: 40000, target: 1 }],
      },
      [40000, 40002],
    );
    expect(r.ports.map((p) => p.published)).toEqual([40001, 40002]);
    expect(planHostPorts('me', [{ protocol: 'tcp', target: 80 }], held, [8080, 8080]).problems).toEqual([
      'task me: no free ephemeral port left for (ephemeral):80/tcp',
    ]);
  });

  it('refuses ports out of range', () => {
    expect(planHostPorts('me', [{ protocol: 'tcp', published: 70000, target: 80 }], {}).problems).toEqual([
      'task me: port 70000:80/tcp is out of range 1-65535',
    ]);
  });
});
