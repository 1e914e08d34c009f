// Child process of lock.test.ts: tags `count` references `<prefix>-<i>` to one digest, one locked update
// each, then prints "done".
import { ImageStore } from '@tsstack/image';

async function main(): Promise<void> {
  const [root, digest, prefix, count] = process.argv.slice(2);
  const store = new ImageStore({ root });
  for (let i = 0; i < Number(count); i++) await store.tag(`${prefix}-${i}:1`, digest);
  console.log('done');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
