import * as dnsPacket from 'dns-packet';
import { buildAnswer, readQuestion } from './dns-wire';

describe('dns wire fast path', () => {
  const query = dnsPacket.encode({
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name: 'Tasks.Web' }],
  });

  it('reads the question of a query', () => {
    expect(readQuestion(query)).toMatchObject({ id: 4242, name: 'tasks.web', type: 1 });
    expect(readQuestion(query.subarray(0, 14))).toBeUndefined();
  });

  it('builds answers dns-packet decodes', () => {
    const q = readQuestion(query)!;
    const reply = dnsPacket.decode(buildAnswer(query, q, ['10.0.0.2', '10.0.0.3'], false));
    expect(reply.id).toBe(4242);
    expect(reply.type).toBe('response');
    expect(reply.flag_rd).toBe(true);
    expect(reply.flag_aa).toBe(true);
    expect((reply as unknown as { rcode: string }).rcode).toBe('NOERROR');
    expect(reply.answers!.map((a) => [a.name, a.type, (a as { data?: unknown }).data])).toEqual([
      ['Tasks.Web', 'A', '10.0.0.2'],
      ['Tasks.Web', 'A', '10.0.0.3'],
    ]);
    const nx = dnsPacket.decode(buildAnswer(query, q, [], true)) as unknown as { rcode: string };
    expect(nx.rcode).toBe('NXDOMAIN');
  });
});
