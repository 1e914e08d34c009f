// Where the native helpers of this context live (native/build/Release, or TSSTACK_NATIVE_DIR).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TsstackError } from '@tsstack/model';

export function nativeTool(name: string): string {
  const dirs = [
    process.env.TSSTACK_NATIVE_DIR,
    path.resolve(__dirname, '../../../native/build/Release'),
    path.resolve(__dirname, '../../../../native/build/Release'),
  ];
  const hit = dirs.map((d) => d && path.join(d, name)).find((f) => f && fs.existsSync(f));
  if (!hit)
    throw new TsstackError(
      'NATIVE_MISSING',
      `${name} is not built (looked in native/build/Release and TSSTACK_NATIVE_DIR): run npm run build`,
    );
  return hit;
}
