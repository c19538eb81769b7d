import { ApiObject, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { FlagFileDirectory } from '../../lib';
import { newChart } from '../support/manifests';

describe('the preStop flag hook as plain data, for any cdk8s-plus version', () => {
  const directory = new FlagFileDirectory();
  const hook = directory.preStopHook({ containerName: 'app', preStopDelay: Duration.seconds(3) });

  test('command and envFieldRefs are what handler and envVariables render', () => {
    expect(hook.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(hook.envFieldRefs).toEqual({
      POD_NAME: 'metadata.name',
      POD_NAMESPACE: 'metadata.namespace',
      POD_UID: 'metadata.uid',
      NODE_NAME: 'spec.nodeName',
    });
    const pod = new kplus.Pod(newChart(), 'pod');
    pod.addContainer({ name: 'app', image: 'httpd:2.4.69', lifecycle: { preStop: hook.handler }, envVariables: { ...hook.envVariables } });
    const container = ApiObject.of(pod).toJson().spec.containers[0];
    expect(container.lifecycle.preStop.exec.command).toEqual(hook.command);
    expect(
      Object.fromEntries(
        container.env.map((e: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }) => [
          e.name,
          e.valueFrom.fieldRef.fieldPath,
        ]),
      ),
    ).toEqual(hook.envFieldRefs);
  });

  test('the volume needs are plain fields of the directory', () => {
    expect({ hostPath: directory.hostPath, mountPath: directory.mountPath, volumeName: directory.volumeName }).toEqual({
      hostPath: '/var/lib/cdk8s-pod-lifecycle/flags', // the default, on disk
      mountPath: '/preStopScriptOutput',
      volumeName: 'list-of-deleted-pods',
    });
  });

  test('the plain data is frozen with the shared hook', () => {
    expect(Object.isFrozen(hook.command)).toBe(true);
    expect(Object.isFrozen(hook.envFieldRefs)).toBe(true);
  });
});
