// libs/spec: collects every problem found while loading, each located (file:line:col, field path) with the
// offending source line and a caret, and turns them into one SpecError.
import { SpecError, type SpecIssue } from '@tsstack/model';
import { locate, locateKey, pathText, type PathSeg, type SourceLoc } from './source-locations';

export class IssueList {
  readonly issues: SpecIssue[] = [];
  /** Source text per file, for excerpts. */
  private readonly sources = new Map<string, string[]>();

  addSource(file: string, text: string): void {
    this.sources.set(file, text.split(/\r?\n/));
  }

  /** An issue at a known location (or only a file). */
  addAt(loc: SourceLoc | { file: string }, path: string, message: string): void {
    const issue: SpecIssue = { file: loc.file, path, message };
    if ('line' in loc) {
      issue.line = loc.line;
      issue.column = loc.col;
      issue.excerpt = this.excerpt(loc);
    }
    this.issues.push(issue);
  }

  /** An issue at a field path of the merged tree `root`; `fallbackFile` when nothing along it is located. */
  add(root: unknown, path: readonly PathSeg[], message: string, fallbackFile: string): void {
    this.addAt(locate(root, path) ?? { file: fallbackFile }, pathText(path), message);
  }

  /** An issue about a key itself (unknown or unsupported field): the caret goes under the key. */
  addKey(root: unknown, path: readonly PathSeg[], message: string, fallbackFile: string): void {
    this.addAt(locateKey(root, path) ?? { file: fallbackFile }, pathText(path), message);
  }

  get size(): number {
    return this.issues.length;
  }

  throwIfAny(): void {
    if (this.issues.length) throw new SpecError(this.issues);
  }

  private excerpt(loc: SourceLoc): string | undefined {
    const line = this.sources.get(loc.file)?.[loc.line - 1];
    if (line === undefined) return undefined;
    const shown = line.length > 200 ? line.slice(0, 200) + '…' : line;
    const gutter = `${loc.line} | `;
    return `${gutter}${shown}\n${' '.repeat(gutter.length - 2)}| ${' '.repeat(Math.max(0, Math.min(loc.col - 1, 200)))}^`;
  }
}
