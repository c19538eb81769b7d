// A generated corpus of pods on both sides of every Pod Security check's edge, for the
// agreement test against a real API server (pod-security.e2e.test.ts) and the unit tests.
// Every pod is meant to be valid for the API server's own validation, so only Pod Security
// admission decides whether it is admitted.

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One corpus entry: a Pod manifest and what it varies. */
export interface CorpusPod {
  readonly name: string;
  readonly what: string;
  readonly manifest: Obj;
}

const IMAGE = 'busybox:1.36.1';

/** A pod that passes restricted (and so baseline). */
function restrictedPod(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'x' },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: IMAGE, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  };
}

/** A pod that passes baseline but not restricted. */
function plainPod(): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: IMAGE }] } };
}

const CAPABILITIES = [
  'AUDIT_CONTROL',
  'AUDIT_READ',
  'AUDIT_WRITE',
  'BLOCK_SUSPEND',
  'BPF',
  'CHECKPOINT_RESTORE',
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'IPC_LOCK',
  'IPC_OWNER',
  'KILL',
  'LEASE',
  'LINUX_IMMUTABLE',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'MKNOD',
  'NET_ADMIN',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_RAW',
  'PERFMON',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_CHROOT',
  'SYS_MODULE',
  'SYS_NICE',
  'SYS_PACCT',
  'SYS_PTRACE',
  'SYS_RAWIO',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'SYSLOG',
  'WAKE_ALARM',
  'CAP_CHOWN',
  'ALL',
];

const VOLUMES: Record<string, Obj> = {
  configMap: { name: 'cm' },
  secret: { secretName: 's' },
  emptyDir: {},
  downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
  projected: { sources: [{ configMap: { name: 'cm' } }] },
  persistentVolumeClaim: { claimName: 'pvc' },
  csi: { driver: 'csi.example.com' },
  ephemeral: {
    volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  },
  image: { reference: IMAGE, pullPolicy: 'IfNotPresent' },
  hostPath: { path: '/tmp' },
  nfs: { server: 'nfs.example.com', path: '/export' },
  iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0 },
  gitRepo: { repository: 'https://example.com/repo.git' },
  gcePersistentDisk: { pdName: 'disk' },
  awsElasticBlockStore: { volumeID: 'vol-1' },
  azureDisk: { diskName: 'd', diskURI: 'https://example.com/d.vhd' },
  azureFile: { secretName: 's', shareName: 'share' },
  cephfs: { monitors: ['10.0.0.1:6789'] },
  cinder: { volumeID: 'v' },
  fc: { targetWWNs: ['500a0982991b8dc5'], lun: 0 },
  flexVolume: { driver: 'example.com/flex' },
  flocker: { datasetName: 'd' },
  glusterfs: { endpoints: 'ep', path: 'vol' },
  photonPersistentDisk: { pdID: 'p' },
  portworxVolume: { volumeID: 'v' },
  quobyte: { registry: 'r:7861', volume: 'v' },
  rbd: { monitors: ['10.0.0.1:6789'], image: 'img' },
  scaleIO: { gateway: 'https://gw', system: 'sys', secretRef: { name: 's' }, volumeName: 'v' },
  storageos: { volumeName: 'v' },
  vsphereVolume: { volumePath: '[ds] v.vmdk' },
};

const SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_notsent_lowat',
  'kernel.shmmni',
  'kernel.msgmax',
  'net.core.somaxconn',
  'net.ipv4.ip_forward',
];
const SYSCTL_VALUES: Record<string, string> = {
  'net.ipv4.ip_local_port_range': '1024 65000',
  'net.ipv4.ping_group_range': '0 2147483647',
  'net.ipv4.ip_local_reserved_ports': '8080',
  'net.ipv4.tcp_rmem': '4096 87380 6291456',
  'net.ipv4.tcp_wmem': '4096 16384 4194304',
};

/** Builds the corpus: each mutation on the restricted pod and, where it tells something, the plain one. */
export function podSecurityCorpus(): CorpusPod[] {
  const out: CorpusPod[] = [];
  const add = (what: string, base: 'r' | 'p' | 'both', mutate: (pod: Obj) => void) => {
    for (const b of base === 'both' ? (['r', 'p'] as const) : [base]) {
      const pod = b === 'r' ? restrictedPod() : plainPod();
      mutate(pod);
      const name = `c${String(out.length).padStart(3, '0')}-${b}`;
      pod.metadata.name = name;
      out.push({ name, what: `${b === 'r' ? 'restricted base' : 'plain base'}: ${what}`, manifest: pod });
    }
  };
  const sc = (pod: Obj, i = 0) => (pod.spec.containers[i].securityContext ??= {});
  const psc = (pod: Obj) => (pod.spec.securityContext ??= {});

  add('nothing changed', 'both', () => {});

  // Capabilities: every one added, on a container that drops ALL (restricted) and one that does not.
  for (const cap of CAPABILITIES) {
    add(`capabilities.add ${cap}`, 'both', (pod) => {
      (sc(pod).capabilities ??= {}).add = [cap];
    });
  }
  add('capabilities.add two forbidden + allowed', 'both', (pod) => {
    (sc(pod).capabilities ??= {}).add = ['NET_RAW', 'CHOWN', 'SYS_ADMIN'];
  });
  add('capabilities.drop [] ', 'r', (pod) => (sc(pod).capabilities.drop = []));
  add('capabilities.drop [NET_RAW]', 'r', (pod) => (sc(pod).capabilities.drop = ['NET_RAW']));
  add('capabilities.drop [all] lowercase', 'r', (pod) => (sc(pod).capabilities.drop = ['all']));
  add('capabilities.drop [NET_RAW, ALL]', 'r', (pod) => (sc(pod).capabilities.drop = ['NET_RAW', 'ALL']));
  add('capabilities {}', 'r', (pod) => (sc(pod).capabilities = {}));
  add('no capabilities', 'r', (pod) => delete sc(pod).capabilities);

  // Volumes: every type.
  for (const [type, source] of Object.entries(VOLUMES)) {
    add(`volume ${type}`, 'both', (pod) => {
      pod.spec.volumes = [{ name: 'v', [type]: source }];
    });
  }
  add('two restricted volumes', 'r', (pod) => {
    pod.spec.volumes = [
      { name: 'h', hostPath: { path: '/tmp' } },
      { name: 'g', gitRepo: { repository: 'https://example.com/r.git' } },
      { name: 'e', emptyDir: {} },
    ];
  });

  // Seccomp: field at pod and container level, and the annotations (non-functional since 1.27).
  for (const type of ['RuntimeDefault', 'Localhost', 'Unconfined']) {
    const profile = type === 'Localhost' ? { type, localhostProfile: 'profiles/audit.json' } : { type };
    add(`pod seccompProfile ${type}`, 'both', (pod) => (psc(pod).seccompProfile = profile));
    add(`container seccompProfile ${type}, pod none`, 'both', (pod) => {
      delete psc(pod).seccompProfile;
      sc(pod).seccompProfile = profile;
    });
    add(`pod Unconfined, container seccompProfile ${type}`, 'r', (pod) => {
      psc(pod).seccompProfile = { type: 'Unconfined' };
      sc(pod).seccompProfile = profile;
    });
  }
  add('no seccomp anywhere', 'r', (pod) => delete psc(pod).seccompProfile);
  add('no pod seccomp, one of two containers sets it', 'r', (pod) => {
    delete psc(pod).seccompProfile;
    sc(pod).seccompProfile = { type: 'RuntimeDefault' };
    pod.spec.containers.push({
      name: 'd',
      image: IMAGE,
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
  });
  for (const value of ['unconfined', 'runtime/default', 'localhost/profile.json']) {
    // The API server refuses a pod annotation that differs from the pod's field: plain base only.
    add(`seccomp pod annotation ${value}`, 'p', (pod) => {
      pod.metadata.annotations = { 'seccomp.security.alpha.kubernetes.io/pod': value };
    });
    add(`seccomp container annotation ${value}`, 'both', (pod) => {
      pod.metadata.annotations = { 'container.seccomp.security.alpha.kubernetes.io/c': value };
    });
  }

  // AppArmor: annotation and field (1.30), pod and container level.
  for (const value of ['unconfined', 'runtime/default', 'localhost/k8s-apparmor-example']) {
    add(`apparmor annotation ${value}`, 'both', (pod) => {
      pod.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/c': value };
    });
  }
  add('apparmor annotation unconfined, container field RuntimeDefault at pod level', 'p', (pod) => {
    pod.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/c': 'runtime/default' };
    pod.spec.securityContext = { appArmorProfile: { type: 'RuntimeDefault' } };
  });
  add('apparmor annotation for an init container', 'p', (pod) => {
    pod.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/i': 'unconfined' };
    pod.spec.initContainers = [{ name: 'i', image: IMAGE }];
  });
  for (const type of ['RuntimeDefault', 'Localhost', 'Unconfined']) {
    const profile = type === 'Localhost' ? { type, localhostProfile: 'k8s-apparmor-example' } : { type };
    add(`pod appArmorProfile ${type}`, 'both', (pod) => (psc(pod).appArmorProfile = profile));
    add(`container appArmorProfile ${type}`, 'both', (pod) => (sc(pod).appArmorProfile = profile));
  }

  // Host namespaces and ports.
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    add(`${field}: true`, 'both', (pod) => (pod.spec[field] = true));
    add(`${field}: false`, 'r', (pod) => (pod.spec[field] = false));
  }
  add('hostNetwork with matching hostPort', 'p', (pod) => {
    pod.spec.hostNetwork = true;
    pod.spec.containers[0].ports = [{ containerPort: 8080, hostPort: 8080 }];
  });
  add('hostPort 8080', 'both', (pod) => (pod.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }]));
  add('hostPort 0', 'both', (pod) => (pod.spec.containers[0].ports = [{ containerPort: 80, hostPort: 0 }]));
  add('containerPort only', 'r', (pod) => (pod.spec.containers[0].ports = [{ containerPort: 80 }]));
  add('hostPorts in an init container', 'p', (pod) => {
    pod.spec.initContainers = [
      {
        name: 'i',
        image: IMAGE,
        ports: [
          { containerPort: 81, hostPort: 9081 },
          { containerPort: 82, hostPort: 10082 },
        ],
      },
    ];
  });

  // Sysctls: the safe lists of every version, and unsafe ones.
  for (const name of SYSCTLS) {
    add(`sysctl ${name}`, 'both', (pod) => (psc(pod).sysctls = [{ name, value: SYSCTL_VALUES[name] ?? '1' }]));
  }
  add('two unsafe sysctls', 'p', (pod) => {
    psc(pod).sysctls = [
      { name: 'kernel.msgmax', value: '1' },
      { name: 'kernel.shm_rmid_forced', value: '1' },
      { name: 'net.core.somaxconn', value: '1024' },
    ];
  });

  // procMount, with and without a user namespace (relaxed for baseline at 1.35).
  add('procMount Default', 'both', (pod) => (sc(pod).procMount = 'Default'));
  add('procMount Unmasked, hostUsers false', 'both', (pod) => {
    pod.spec.hostUsers = false;
    sc(pod).procMount = 'Unmasked';
  });
  add('hostUsers false', 'both', (pod) => (pod.spec.hostUsers = false));
  add('hostUsers true', 'r', (pod) => (pod.spec.hostUsers = true));

  // runAsUser and runAsNonRoot, pod vs container level, with and without a user namespace.
  add('pod runAsUser 0', 'both', (pod) => (psc(pod).runAsUser = 0));
  add('container runAsUser 0', 'both', (pod) => (sc(pod).runAsUser = 0));
  add('pod runAsUser 0, container 1000', 'r', (pod) => {
    psc(pod).runAsUser = 0;
    sc(pod).runAsUser = 1000;
  });
  add('pod runAsUser 1000, container 0', 'r', (pod) => {
    psc(pod).runAsUser = 1000;
    sc(pod).runAsUser = 0;
  });
  add('runAsUser 1000', 'r', (pod) => (psc(pod).runAsUser = 1000));
  add('pod runAsUser 0, hostUsers false', 'r', (pod) => {
    pod.spec.hostUsers = false;
    psc(pod).runAsUser = 0;
  });
  add('runAsNonRoot false at pod, hostUsers false', 'r', (pod) => {
    pod.spec.hostUsers = false;
    psc(pod).runAsNonRoot = false;
  });
  add('no runAsNonRoot, hostUsers false', 'r', (pod) => {
    pod.spec.hostUsers = false;
    delete psc(pod).runAsNonRoot;
  });
  add('runAsNonRoot false at pod, true at container', 'r', (pod) => {
    psc(pod).runAsNonRoot = false;
    sc(pod).runAsNonRoot = true;
  });
  add('runAsNonRoot missing at pod, true at container', 'r', (pod) => {
    delete psc(pod).runAsNonRoot;
    sc(pod).runAsNonRoot = true;
  });
  add('runAsNonRoot missing at pod and container', 'r', (pod) => delete psc(pod).runAsNonRoot);
  add('runAsNonRoot true at pod, false at container', 'r', (pod) => (sc(pod).runAsNonRoot = false));
  add('runAsNonRoot missing at pod, set on one of two containers', 'r', (pod) => {
    delete psc(pod).runAsNonRoot;
    sc(pod).runAsNonRoot = true;
    pod.spec.containers.push({
      name: 'd',
      image: IMAGE,
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
  });

  // allowPrivilegeEscalation and privileged.
  add('allowPrivilegeEscalation true', 'r', (pod) => (sc(pod).allowPrivilegeEscalation = true));
  add('allowPrivilegeEscalation missing', 'r', (pod) => delete sc(pod).allowPrivilegeEscalation);
  add('privileged true', 'both', (pod) => {
    sc(pod).privileged = true;
    delete sc(pod).allowPrivilegeEscalation; // privileged implies escalation; the API refuses false
  });
  add('privileged false', 'both', (pod) => (sc(pod).privileged = false));

  // Init containers and native sidecars are checked like containers.
  add('init container without a security context', 'r', (pod) => {
    pod.spec.initContainers = [{ name: 'init', image: IMAGE }];
  });
  add('native sidecar without a security context', 'r', (pod) => {
    pod.spec.initContainers = [{ name: 'side', image: IMAGE, restartPolicy: 'Always' }];
  });
  add('restricted init container', 'r', (pod) => {
    pod.spec.initContainers = [
      { name: 'init', image: IMAGE, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
    ];
  });
  add('privileged init container', 'p', (pod) => {
    pod.spec.initContainers = [{ name: 'init', image: IMAGE, securityContext: { privileged: true } }];
  });

  // SELinux: types (container_engine_t since 1.31), user and role, pod and container level.
  for (const type of ['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t', 'spc_t', 'unconfined_t']) {
    add(`pod seLinuxOptions.type ${type}`, 'both', (pod) => (psc(pod).seLinuxOptions = { type }));
    add(`container seLinuxOptions.type ${type}`, 'r', (pod) => (sc(pod).seLinuxOptions = { type }));
  }
  add('seLinuxOptions level only', 'both', (pod) => (psc(pod).seLinuxOptions = { level: 's0:c123,c456' }));
  add('pod seLinuxOptions.user', 'both', (pod) => (psc(pod).seLinuxOptions = { user: 'system_u' }));
  add('container seLinuxOptions.role', 'both', (pod) => (sc(pod).seLinuxOptions = { role: 'system_r' }));
  add('container seLinuxOptions type + user + role', 'p', (pod) => (sc(pod).seLinuxOptions = { type: 'spc_t', user: 'u', role: 'r' }));

  // Windows: hostProcess, and the restricted checks a Windows pod is exempt from since 1.25.
  add('windows hostProcess', 'p', (pod) => {
    pod.spec.hostNetwork = true;
    pod.spec.os = { name: 'windows' };
    pod.spec.securityContext = { windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' } };
  });
  add('windows hostProcess false', 'p', (pod) => {
    pod.spec.os = { name: 'windows' };
    pod.spec.securityContext = { windowsOptions: { hostProcess: false } };
  });
  add('windows pod with runAsNonRoot only', 'p', (pod) => {
    pod.spec.os = { name: 'windows' };
    pod.spec.securityContext = { runAsNonRoot: true };
  });
  add('windows pod without runAsNonRoot', 'p', (pod) => (pod.spec.os = { name: 'windows' }));
  add('linux os field', 'r', (pod) => (pod.spec.os = { name: 'linux' }));

  // Probe and lifecycle hosts (baseline since 1.34).
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    add(`${probe} httpGet host`, 'both', (pod) => (pod.spec.containers[0][probe] = { httpGet: { host: 'example.com', port: 80 } }));
    add(`${probe} tcpSocket host`, 'both', (pod) => (pod.spec.containers[0][probe] = { tcpSocket: { host: '10.0.0.1', port: 80 } }));
    add(`${probe} httpGet no host`, 'r', (pod) => (pod.spec.containers[0][probe] = { httpGet: { port: 80, path: '/' } }));
  }
  add(
    'preStop httpGet host',
    'both',
    (pod) => (pod.spec.containers[0].lifecycle = { preStop: { httpGet: { host: 'example.com', port: 80 } } }),
  );
  add(
    'postStart httpGet host',
    'r',
    (pod) => (pod.spec.containers[0].lifecycle = { postStart: { httpGet: { host: '127.0.0.1', port: 80 } } }),
  );
  add('preStop httpGet without host', 'r', (pod) => (pod.spec.containers[0].lifecycle = { preStop: { httpGet: { port: 80 } } }));
  add('preStop sleep', 'r', (pod) => (pod.spec.containers[0].lifecycle = { preStop: { sleep: { seconds: 1 } } }));
  add('two containers, two probe hosts', 'p', (pod) => {
    pod.spec.containers[0].readinessProbe = { httpGet: { host: 'b.example.com', port: 80 } };
    pod.spec.containers.push({ name: 'd', image: IMAGE, livenessProbe: { tcpSocket: { host: 'a.example.com', port: 81 } } });
  });

  // Several violations at once, to compare the whole message.
  add('many at once', 'p', (pod) => {
    pod.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' };
    pod.spec.hostPID = true;
    pod.spec.securityContext = { runAsUser: 0, sysctls: [{ name: 'kernel.shmmni', value: '4096' }], seLinuxOptions: { type: 'spc_t' } };
    pod.spec.volumes = [{ name: 'h', hostPath: { path: '/tmp' } }];
    pod.spec.containers[0].ports = [
      { containerPort: 80, hostPort: 80 },
      { containerPort: 81, hostPort: 8081 },
    ];
    pod.spec.containers[0].securityContext = {
      privileged: true,
      capabilities: { add: ['NET_RAW', 'SYS_ADMIN', 'CHOWN'] },
      appArmorProfile: { type: 'Unconfined' },
      runAsNonRoot: false,
    };
    pod.spec.containers.push({
      name: 'd',
      image: IMAGE,
      securityContext: { seLinuxOptions: { user: 'u', role: 'r' }, seccompProfile: { type: 'Unconfined' } },
    });
  });
  return out;
}
