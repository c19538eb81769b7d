/**
 * The default image of each container the library adds, pinned to a release, so a synth
 * today and next month deploy the same software. One place for every pin: the e2e cluster
 * kit's stand-in images get these names from `scripts/e2e/tag-stand-ins.sh`, which reads them here.
 */
export const IMAGE_PINS = {
  /** The web server of every construct: the official `httpd` image. */
  httpd: 'httpd:2.4.69',
  /** The git containers: `alpine/git` (git, the OpenSSH client and busybox `sh`). */
  git: 'alpine/git:2.54.0',
  /** The preStop flag-file collector: busybox, which has `sh`, `flock` and `timeout`. */
  collector: 'busybox:1.37.0',
} as const;

/** Facts about the official `httpd` image that the constructs build on. */
export const HTTPD = {
  /** The default image. */
  image: IMAGE_PINS.httpd,
  /** The port the image's `httpd.conf` listens on. */
  port: 80,
  /** The document root of the image's `httpd.conf`. */
  htdocsPath: '/usr/local/apache2/htdocs',
  /** Where httpd writes `httpd.pid` and its runtime files (cgid socket, mutexes). */
  logsPath: '/usr/local/apache2/logs',
} as const;

/**
 * The user of the git containers: `nobody` (65534), which alpine's `/etc/passwd` lists.
 * OpenSSH exits with "No user exists for uid" for a user it cannot look up, so an arbitrary
 * uid such as 10001 would break ssh clones.
 */
export const GIT_IMAGE_USER = 65534;
