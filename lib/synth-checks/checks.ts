import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { dropKeptRenderings, keepRendering } from '../core/manifest-patches';
import { checkObjects } from '../rules/engine';
import { describeObject, Finding, RuleId } from '../rules/rules';

// The synth-time door onto the rules engine: the engine runs on the rendered objects of the
// whole app once per synth, and each construct that registered the checks reports the
// findings on its own objects, with their construct paths.

/**
 * The stable code of a problem the synth checks report: a rule id of the rules engine, or
 * `grace-period-shorter-than-hook`, which only the construct that adds a hook can check
 * (it knows how long the hook needs).
 */
export type SynthProblemCode = RuleId | 'grace-period-shorter-than-hook';

/** A problem with a code: the validation error shows it as `<message> [<code>]`. */
export interface SynthProblem {
  /** The stable code, e.g. `service-selects-nothing`. */
  readonly code: SynthProblemCode;
  /** What is wrong, naming the object. */
  readonly message: string;
}

/**
 * The messages as problems with `code`.
 * @internal
 */
export function problemsWithCode(code: SynthProblemCode, messages: readonly string[]): SynthProblem[] {
  return messages.map((message) => ({ code, message }));
}

/**
 * A check on the final state of the app, run at synth time: one message (or problem with a
 * code) per problem, an empty list when all is well.
 */
export type SynthCheck = () => readonly (string | SynthProblem)[];

/**
 * Registers `check` with `scope.node.addValidation`, so it runs on the final state of the
 * app, after every construct and JSON patch is in place. `app.synth()` (and so `cdk8s synth`),
 * `app.synthYaml()`, `chart.toJson()` and `Testing.synth(chart)` run the checks of the whole
 * app and then throw one error listing every problem, each line prefixed with the
 * construct path of `scope`: `[site/web] Service 'web' ...`.
 *
 * @param scope the construct the problems are reported on
 * @param check returns one message per problem
 */
export function addSynthCheck(scope: IConstruct, check: SynthCheck): void {
  scope.node.addValidation({
    validate: () => check().map((problem) => (typeof problem === 'string' ? problem : `${problem.message} [${problem.code}]`)),
  });
}

/** The app's API objects, rendered, and the engine's findings on them. */
interface RenderedApp {
  readonly objects: readonly ApiObject[];
  readonly manifests: readonly unknown[];
  findings?: readonly Finding[];
  indexes?: Map<ApiObject, number>;
}

let current: { readonly root: IConstruct; readonly app: RenderedApp } | undefined;

/**
 * The rendered objects of the app under `root` (`ApiObject.toJson()`, as synth renders
 * them). cdk8s validates the whole app before synth renders each chart: `app.synth()`
 * validates once, then once more per chart (`chart.toJson()`), with no other code in
 * between until a chart is rendered. So the rendering and the findings are kept from the
 * first validation until synth has rendered the first chart, all of whose objects get the
 * kept rendering back (keepRendering): the engine runs once, and each object is rendered
 * once, per `app.synth()` of a one-chart app and per `chart.toJson()` / `Testing.synth(chart)`.
 * Then they are dropped, since code may change the app before the next synth: an app of
 * several charts is rendered once per chart.
 */
function renderedApp(root: IConstruct): RenderedApp {
  if (current?.root === root) return current.app;
  const objects = root.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  const app: RenderedApp = { objects, manifests: [] };
  const pending = new Map<IConstruct, number>();
  const drop = () => {
    if (current?.app === app) current = undefined;
    dropKeptRenderings();
  };
  for (const o of objects) {
    const json = o.toJson();
    (app.manifests as unknown[]).push(json);
    const chart = Chart.of(o);
    pending.set(chart, (pending.get(chart) ?? 0) + 1);
    keepRendering(o, json, () => {
      const left = pending.get(chart)! - 1;
      pending.set(chart, left);
      if (left === 0) drop();
    });
  }
  current = { root, app };
  queueMicrotask(drop);
  return app;
}

/**
 * The final manifest of `object`, from the rendering of its app for the synth under way.
 * For validations only: outside a synth, render the object itself.
 * @internal
 */
export function renderedManifestOf(object: ApiObject): unknown {
  const app = renderedApp(object.node.root);
  app.indexes ??= new Map(app.objects.map((o, i) => [o, i]));
  const index = app.indexes.get(object);
  return index === undefined ? object.toJson() : app.manifests[index];
}

/** How the synth checks print a finding: the object with its construct path, the field, the problem. */
function formatFinding(finding: Finding, object: ApiObject): string {
  const at = finding.field ? ` at ${finding.field}` : '';
  return `${describeObject(finding.object)} (${object.node.path})${at}: ${finding.problem}; ${finding.fix} [${finding.rule}]`;
}

/** The deepest of `scopes` that is the construct at `path` or one of its parents (the root is `''`). */
function innermostScope(scopes: ReadonlySet<string>, path: string): string | undefined {
  for (let p = path; ; p = p.slice(0, Math.max(p.lastIndexOf('/'), 0))) {
    if (scopes.has(p)) return p;
    if (p === '') return undefined;
  }
}

// The scopes with the standard checks, by app root: a finding is reported once, by the
// innermost of them that holds its object.
const checkedScopes = new WeakMap<IConstruct, Set<string>>();

/**
 * Registers the rules engine's checks on the API objects under `scope` (at any depth): at
 * synth, the engine runs on every object of the app, rendered, and the findings on the
 * objects under `scope` fail the synth with their construct paths, fixes and rule ids (see
 * docs/rules.md). Every construct of this library calls it; call it on your own charts too:
 * `addStandardSynthChecks(chart)`. A finding is reported once, on the innermost scope
 * with the checks that holds its object.
 *
 * @param scope the construct whose API objects (at any depth) are checked
 */
export function addStandardSynthChecks(scope: IConstruct): void {
  const root = scope.node.root;
  // A Set: every construct of an app registers here, so a lookup must not walk them all.
  const scopes = checkedScopes.get(root) ?? new Set<string>();
  checkedScopes.set(root, scopes);
  const own = scope.node.path;
  if (scopes.has(own)) return;
  scopes.add(own);
  scope.node.addValidation({
    validate: () => {
      const app = renderedApp(root);
      app.findings ??= checkObjects(app.manifests);
      return app.findings.flatMap((f) => {
        const path = app.objects[f.index].node.path;
        return innermostScope(scopes, path) === own ? [formatFinding(f, app.objects[f.index])] : [];
      });
    },
  });
}
