import { PropContext } from '../core/errors';
import { HTTPD } from '../core/images';
import { checkAbsolutePath, checkFileName } from '../core/prop-checks';
import { WriteFileHook } from './write-file-hook';

/**
 * The page the postStart hook writes after its date line, by default: the line of the
 * Kubernetes tutorial these constructs follow.
 */
export const DEFAULT_POST_START_CONTENT: readonly string[] = ['This content was created by the postStart hook'];

/** What {@link postStartPageHook} writes; each field is a prop of the construct that uses it. */
export interface PostStartPageOptions {
  /** The document root. */
  readonly htdocsPath: string;
  /**
   * The page's file name inside the document root.
   * @default 'index.html'
   */
  readonly fileName?: string;
  /**
   * The page: a string is written exactly; lines are each followed by a newline.
   * @default DEFAULT_POST_START_CONTENT
   */
  readonly content?: string | readonly string[];
  /**
   * Start the page with `the date is: <date>`, taken when the hook runs.
   * @default true
   */
  readonly prependDate?: boolean;
  /**
   * The shell that runs the hook.
   * @default '/bin/sh'
   */
  readonly shell?: string;
}

/**
 * The postStart hook of the httpd constructs: writes the page into the document root.
 * Props are checked against `ctx`, so errors name the construct the user wrote.
 */
export function postStartPageHook(ctx: PropContext, options: PostStartPageOptions): WriteFileHook {
  const htdocsPath = checkAbsolutePath(ctx, 'htdocsPath', options.htdocsPath);
  const fileName = checkFileName(ctx, 'fileName', options.fileName ?? 'index.html');
  return new WriteFileHook(
    {
      path: `${htdocsPath === '/' ? '' : htdocsPath}/${fileName}`,
      content: options.content ?? DEFAULT_POST_START_CONTENT,
      prependDate: options.prependDate ?? true,
      shell: options.shell,
    },
    ctx,
  );
}

/**
 * The URL path under which httpd's stock config (DocumentRoot {@link HTTPD}.htdocsPath)
 * serves the page the hook writes into `htdocsPath`, percent-encoded, for the readiness
 * probe. A document root elsewhere is served by a config of the user's, so only the file
 * name is known: `/<fileName>`.
 * @internal
 */
export function postStartPageUrlPath(htdocsPath: string, fileName = 'index.html'): string {
  const root = HTTPD.htdocsPath;
  const inside = htdocsPath === root ? '' : htdocsPath.startsWith(`${root}/`) ? htdocsPath.slice(root.length) : '';
  return [...inside.split('/').filter((part) => part !== ''), fileName].map((part) => `/${encodeURIComponent(part)}`).join('');
}
