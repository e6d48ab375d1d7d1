// Stand-ins for the upstream base images the generated repository builds on
// and that cannot be pulled here (Docker Hub is unreachable): equivalents
// built by podman from Debian packages (and, for Spark, the distribution
// inside pyspark), each with the layout and contract of the image it stands
// for (stack/images/<name>/Containerfile says which; stack/tests/
// baseImages.test.ts checks it). The generated Dockerfiles take them through
// their ARG-parameterised FROM, unchanged otherwise.
//
// Built once per version into an archive in the install cache; each checkout
// loads the archive into its own podman storage.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, componentContext } from '../lib/context.mjs';
import { VERSIONS } from '../lib/versions.mjs';
import podmanComponent, {
  buildImageArchive,
  imageExists,
  podman,
  writePodmanConfig,
} from './podman.mjs';
import spark from './spark.mjs';

const IMAGES_DIR = path.join(REPO_ROOT, 'stack', 'images');
const podmanCtx = () =>
  componentContext(podmanComponent.name, podmanComponent.version);
const sparkCtx = () => componentContext(spark.name, spark.version);

/** Files of a directory, recursively, sorted: what a stand-in is built from. */
function digestOf(dir, hash) {
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    hash.update(entry.name);
    if (entry.isDirectory()) digestOf(full, hash);
    else hash.update(fs.readFileSync(full));
  }
  return hash;
}

const STAND_INS = {
  spark: {
    dir: path.join(IMAGES_DIR, 'spark-base'),
    standsFor: `${VERSIONS.sparkImage.source}:${VERSIONS.sparkImage.version}`,
    env: 'LP_SPARK_BASE_IMAGE',
    /** The context's spark/: the official image's /opt/spark, from pyspark. */
    prepare(context) {
      const site = path.join(sparkCtx().installDir, 'venv', 'lib');
      const python = fs.readdirSync(site).find(d => d.startsWith('python3'));
      const pyspark = path.join(site, python, 'site-packages', 'pyspark');
      const home = path.join(context, 'spark');
      fs.mkdirSync(path.join(home, 'python'), { recursive: true });
      fs.mkdirSync(path.join(home, 'work-dir'), { recursive: true });
      for (const dir of ['jars', 'bin', 'sbin'])
        fs.cpSync(path.join(pyspark, dir), path.join(home, dir), {
          recursive: true,
        });
      fs.cpSync(
        path.join(pyspark, 'python', 'lib'),
        path.join(home, 'python', 'lib'),
        { recursive: true },
      );
      // The pyspark sources, as the distribution's python/pyspark.
      fs.cpSync(pyspark, path.join(home, 'python', 'pyspark'), {
        recursive: true,
        filter: source =>
          !/^(jars|bin|sbin|python|data|examples|licenses|__pycache__)$/.test(
            path.relative(pyspark, source).split(path.sep)[0],
          ),
      });
      fs.writeFileSync(
        path.join(home, 'RELEASE'),
        `Spark ${VERSIONS.spark.version} built for Hadoop 3.3.4 (the distribution inside pyspark ${VERSIONS.spark.version} from PyPI)\n`,
      );
    },
  },
  python: {
    dir: path.join(IMAGES_DIR, 'python-base'),
    standsFor: `${VERSIONS.pythonImage.source}:${VERSIONS.pythonImage.version}`,
    env: 'LP_PYTHON_BASE_IMAGE',
    prepare() {},
  },
};

const VERSION = digestOf(IMAGES_DIR, crypto.createHash('sha256'))
  .update(spark.version)
  .update(podmanComponent.version)
  .digest('hex')
  .slice(0, 12);

const imageName = name => `localhost/lp-${name}-base:${VERSION}`;
const archive = (ctx, name) => path.join(ctx.installDir, `${name}-base.tar`);

export default {
  name: 'base-images',
  version: VERSION,
  description: `Stand-ins for the upstream base images (${Object.values(
    STAND_INS,
  )
    .map(s => s.standsFor)
    .join(', ')}), built from Debian packages`,
  dependsOn: ['podman', 'spark'],
  runtime: true,

  async install(ctx) {
    const pod = podmanCtx();
    writePodmanConfig(pod);
    for (const [name, standIn] of Object.entries(STAND_INS)) {
      const context = path.join(ctx.installDir, `${name}-context`);
      fs.rmSync(context, { recursive: true, force: true });
      fs.cpSync(standIn.dir, context, { recursive: true });
      standIn.prepare(context);
      ctx.log(`building ${imageName(name)}, for ${standIn.standsFor}`);
      buildImageArchive(pod, imageName(name), context, archive(ctx, name));
      fs.rmSync(context, { recursive: true, force: true });
    }
  },

  /** Loads the stand-ins into this checkout's podman storage once. */
  async check(ctx) {
    const pod = podmanCtx();
    for (const name of Object.keys(STAND_INS)) {
      if (!imageExists(pod, imageName(name))) {
        ctx.log(`loading ${imageName(name)}`);
        podman(pod, ['load', '-q', '-i', archive(ctx, name)]);
      }
    }
  },

  env(ctx) {
    return Object.fromEntries(
      Object.entries(STAND_INS)
        .filter(([name]) => fs.existsSync(archive(ctx, name)))
        .map(([name, standIn]) => [standIn.env, imageName(name)]),
    );
  },
};
