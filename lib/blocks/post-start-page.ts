import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PropContext } from '../core/errors';
import { HTTPD } from '../core/images';
import { checkFileName, checkSecretKey } from '../core/prop-checks';
import { WriteFileHook } from './write-file-hook';

/**
 * The page the postStart hook writes after its date line, by default: the line of the
 * Kubernetes tutorial these constructs follow.
 */
export const DEFAULT_POST_START_CONTENT: readonly string[] = ['This content was created by the postStart hook'];

/**
 * A page kept in a ConfigMap key, for pages too large for the hook's script (one exec
 * argument holds at most 128 KiB; a ConfigMap up to 1 MiB). The ConfigMap is mounted
 * read-only and the postStart hook copies the key's file into htdocs atomically.
 */
export interface PageContentFrom {
  /** The ConfigMap, e.g. `new kplus.ConfigMap(chart, 'Page', { data: { 'index.html': page } })` or `kplus.ConfigMap.fromConfigMapName(...)`. */
  readonly configMap: kplus.IConfigMap;
  /** The key holding the page. */
  readonly key: string;
}

/** Where the ConfigMap of a {@link PageContentFrom} is mounted in the httpd container. */
export const POST_START_PAGE_SOURCE = {
  /** The volume's name in the pod. */
  volumeName: 'post-start-page',
  /** The mount path (read-only). */
  mountPath: '/etc/post-start-page',
  /** The file the key is mounted as. */
  fileName: 'page',
} as const;

/** What {@link postStartPageHook} writes; each field is a prop of the construct that uses it. */
export interface PostStartPageOptions {
  /** The document root, already checked by the caller (an absolute path). */
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
   * The page from a ConfigMap key, instead of `content`.
   * @default - the page is `content`
   */
  readonly contentFrom?: PageContentFrom;
  /**
   * Start the page with `the date is: <date>`, taken when the hook runs.
   * @default - true with `content`; false with `contentFrom`, whose page is written exactly
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
  const { htdocsPath } = options;
  const fileName = checkFileName(ctx, 'fileName', options.fileName ?? 'index.html');
  if (options.contentFrom !== undefined && options.content !== undefined) {
    throw ctx.error('PROP_CONFLICT', 'contentFrom', options.contentFrom.key, 'cannot be given with content: the page is one or the other');
  }
  if (options.contentFrom) checkSecretKey(ctx, 'contentFrom.key', options.contentFrom.key, 'CONFIG_MAP_KEY');
  const { mountPath, fileName: source } = POST_START_PAGE_SOURCE;
  return new WriteFileHook(
    {
      path: `${htdocsPath === '/' ? '' : htdocsPath}/${fileName}`,
      ...(options.contentFrom ? { copyFrom: `${mountPath}/${source}` } : { content: options.content ?? DEFAULT_POST_START_CONTENT }),
      prependDate: options.prependDate ?? options.contentFrom === undefined,
      shell: options.shell,
      logName: 'post-start-page',
    },
    ctx,
  );
}

/**
 * The read-only mount of a {@link PageContentFrom}'s ConfigMap, for the httpd container that
 * runs {@link postStartPageHook}; undefined without one.
 */
export function postStartPageMount(scope: Construct, contentFrom: PageContentFrom | undefined): kplus.VolumeMount | undefined {
  if (!contentFrom) return undefined;
  const volume = kplus.Volume.fromConfigMap(scope, 'PostStartPageVolume', contentFrom.configMap, {
    name: POST_START_PAGE_SOURCE.volumeName,
    items: { [contentFrom.key]: { path: POST_START_PAGE_SOURCE.fileName } },
  });
  return { path: POST_START_PAGE_SOURCE.mountPath, volume, readOnly: true };
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
