// The `tsstack controller` flags reach startController: --heartbeat-ms, --node-down-after, --lease-ms (and the
// older --listen, --redis, --data-dir), validated before anything starts.
import { controllerOptions } from '../../apps/cli/src/commands/controller.command';

describe('tsstack controller flags', () => {
  it('passes heartbeat, node-down and lease settings to startController', () => {
    expect(
      controllerOptions(
        { listen: '127.0.0.1:0', dataDir: '/d', heartbeatMs: '500', nodeDownAfter: '2', leaseMs: '1000' },
        {},
      ),
    ).toEqual({
      listen: '127.0.0.1:0',
      dataDir: '/d',
      heartbeatMs: 500,
      nodeDownAfterMisses: 2,
      leaseMs: 1000,
    });
  });

  it('leaves the controller defaults alone when the flags are absent', () => {
    expect(controllerOptions({ listen: 'l', redis: 'unix:///r' }, { TSSTACK_DATA_DIR: '/x' })).toEqual({
      listen: 'l',
      dataDir: '/x',
      redisUrl: 'unix:///r',
    });
  });

  it('takes --policy, else $TSSTACK_POLICY (how the embedded plane gets it), and refuses other values', () => {
    expect(controllerOptions({ listen: 'l', dataDir: '/d', policy: 'strict' }, {}).policy).toBe('strict');
    expect(controllerOptions({ listen: 'l', dataDir: '/d' }, { TSSTACK_POLICY: 'strict' }).policy).toBe(
      'strict',
    );
    expect(controllerOptions({ listen: 'l', dataDir: '/d', policy: 'compose' }, { TSSTACK_POLICY: 'strict' }).policy).toBe('compose'); // prettier-ignore
    expect(() => controllerOptions({ listen: 'l', policy: 'lax' }, {})).toThrow(/--policy must be compose or strict, got "lax"/); // prettier-ignore
  });

  it.each([['0'], ['-1'], ['1.5'], ['abc']])('refuses --lease-ms %s with a message naming the flag', (v) => {
    expect(() => controllerOptions({ listen: 'l', leaseMs: v }, {})).toThrow(/--lease-ms must be a positive/);
  });
});
