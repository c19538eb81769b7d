import * as kplus from 'cdk8s-plus-27';
import { PropContext } from '../core/errors';
import { checkAbsolutePath, checkEach, checkExecArgs, checkUnicodeText, checkWrittenFilePath } from '../core/prop-checks';
import { withContainerLog } from '../core/hook-log';
import { atomicWriteChecked, printLines, printText, sh, ShellCode, ShellScript } from '../core/shell';

/** Properties of a {@link WriteFileHook}. */
export interface WriteFileHookProps {
  /**
   * Absolute path of the file the hook writes, inside the container. Its file name may have
   * at most 242 bytes (the temporary name `.<name>.tmp.<pid>` must fit NAME_MAX).
   */
  readonly path: string;
  /**
   * What the file holds: a string is written exactly as given; lines are each written
   * followed by a newline. Written literally, whatever characters it holds. The hook's
   * script holds it, so it must fit one exec argument (about 128 KiB, less for text with
   * many `'`); take a larger file from a mounted ConfigMap with `copyFrom`.
   * @default - nothing besides the date line
   */
  readonly content?: string | readonly string[];
  /**
   * Absolute path of a file inside the container (a mounted ConfigMap key, say) whose bytes
   * the hook copies, instead of `content`. The copy is atomic like any write of the hook.
   * @default - the file holds `content`
   */
  readonly copyFrom?: string;
  /**
   * Start the file with the line `the date is: <output of date>`, taken when the hook runs.
   * @default false
   */
  readonly prependDate?: boolean;
  /**
   * Absolute path of the shell that runs the hook; it must exist in the image
   * (busybox and alpine have only `/bin/sh`).
   * @default '/bin/sh'
   */
  readonly shell?: string;
  /**
   * The name that prefixes the hook's lines in the container's log: the hook writes what it
   * prints and its exit status to `kubectl logs` (see `withContainerLog`).
   * @default 'write-file'
   */
  readonly logName?: string;
}

/**
 * A hook that writes a file inside the container: creates the directory if missing,
 * then writes the content through a temporary file and a rename, so readers (a web
 * server, a collector) never see a partial file. User text is quoted by the shared
 * shell builder and written byte for byte.
 *
 * Use it on any cdk8s-plus container:
 * `lifecycle: { postStart: new WriteFileHook({ path, content }).handler }`.
 */
export class WriteFileHook {
  /** The script the hook runs. */
  public readonly script: ShellScript;

  /**
   * Builds the script; bad props throw here, naming `ctx`.
   * @param props what to write where
   * @param ctx where errors in `props` are reported; constructs that build the hook from
   *   their own props pass theirs, so errors name the construct the user wrote
   */
  public constructor(props: WriteFileHookProps, ctx: PropContext = PropContext.named('WriteFileHook')) {
    const path = checkWrittenFilePath(ctx, 'path', props.path);
    const shell = checkAbsolutePath(ctx, 'shell', props.shell ?? '/bin/sh');
    if (props.copyFrom !== undefined && props.content !== undefined) {
      throw ctx.error('PROP_CONFLICT', 'copyFrom', props.copyFrom, 'cannot be given with content: the file holds one or the other');
    }
    const copyFrom = props.copyFrom === undefined ? undefined : checkAbsolutePath(ctx, 'copyFrom', props.copyFrom);
    const content = props.content ?? [];
    if (typeof content === 'string') checkUnicodeText(ctx, 'content', content);
    else checkEach(ctx, 'content', content, checkUnicodeText);
    const parts: ShellCode[] = [];
    if (props.prependDate) parts.push(sh`printf 'the date is: %s\\n' "$(date)"`);
    if (copyFrom !== undefined) parts.push(sh`cat ${copyFrom}`);
    else parts.push(typeof content === 'string' ? printText(content) : printLines(content));
    const producer = ShellCode.lines(parts);
    const logName = checkUnicodeText(ctx, 'logName', props.logName ?? 'write-file');
    this.script = withContainerLog(logName, new ShellScript({ shell }).add(atomicWriteChecked(path, producer)));
    checkExecArgs(
      ctx,
      copyFrom === undefined ? 'content' : 'path',
      copyFrom === undefined ? content : path,
      this.script.toCommand(),
      'take a large file from a mounted ConfigMap instead (copyFrom; contentFrom on HttpdWithPostStart, postStartContentFrom on PreStopAuditedPod)',
    );
  }

  /** The exec command: `[shell, '-c', script]`. */
  public get command(): string[] {
    return this.script.toCommand();
  }

  /** A cdk8s-plus handler, for a container's `lifecycle.postStart` or `lifecycle.preStop`. */
  public get handler(): kplus.Handler {
    return kplus.Handler.fromCommand(this.command);
  }
}
