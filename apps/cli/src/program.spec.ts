import { buildProgram } from './program';

describe('tsstack program', () => {
  it('lists the everyday commands in its help', () => {
    const help = buildProgram().helpInformation();
    for (const cmd of ['up', 'down', 'ps', 'logs', 'config', 'node-agent', 'controller', 'system']) {
      expect(help).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    }
  });
});
