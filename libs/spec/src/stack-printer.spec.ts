// Unit tests: what `tsstack config` prints — YAML that any reader (YAML 1.1 or 1.2) reads back to the same
// model, JSON, secrets redacted, services in dependency order.
import { parse } from 'yaml';
import { listServices, stackToJson, stackToYaml } from './stack-printer';
import { stackOf } from './spec-test-helpers';

const YAML = `
services:
  web:
    image: nginx
    environment: {DEBUG: "yes", MODE: "0755", PORTS: "80:80", OFF: "off", EMPTY: ""}
    depends_on: [api]
  api: {image: api, depends_on: [db], secrets: [pw]}
  db: {image: db}
secrets:
  pw: {environment: PW}
`;

describe('stack printer', () => {
  it('YAML reads back to the same model under YAML 1.1 and 1.2', async () => {
    const stack = await stackOf(YAML, { env: { PW: 'hunter2' } });
    const printed = JSON.parse(stackToJson(stack));
    expect(parse(stackToYaml(stack), { version: '1.1' })).toEqual(printed);
    expect(parse(stackToYaml(stack), { version: '1.2' })).toEqual(printed);
    expect(printed.services.web.environment).toEqual({
      DEBUG: 'yes',
      MODE: '0755',
      PORTS: '80:80',
      OFF: 'off',
      EMPTY: '',
    });
  });

  it('never prints secret contents', async () => {
    const stack = await stackOf(YAML, { env: { PW: 'hunter2' } });
    expect(stackToYaml(stack)).not.toContain(Buffer.from('hunter2').toString('base64'));
    expect(JSON.parse(stackToJson(stack)).secrets.pw.content).toBe('<redacted: 7 bytes>');
    expect(stack.secrets.pw!.content).toBe(Buffer.from('hunter2').toString('base64'));
  });

  it('lists services with their dependencies first', async () => {
    expect(listServices(await stackOf(YAML, { env: { PW: 'x' } }))).toEqual(['db', 'api', 'web']);
  });
});
