// The layering guard: a module under src/core decides and never touches the machine. It may
// import other core modules and pure packages, never a Node built-in (`fs`, `node:path`,
// `fs/promises`…) nor a module outside src/core, at whatever depth the path climbs
// ('../store/x.js', '../../daemon/y.js'). Each relative import is resolved against the
// importing file, so core's own folders (core/config beside src/config) are told apart.
import { builtinModules } from 'node:module';
import { dirname, resolve, sep } from 'node:path';

const builtins = new Set(builtinModules);

function isBuiltin(spec) {
  return spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]);
}

/** The src/core directory a file lies in, or undefined. */
function coreDirOf(file) {
  const marker = `${sep}src${sep}core${sep}`;
  const at = file.lastIndexOf(marker);
  return at < 0 ? undefined : file.slice(0, at + marker.length - 1);
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'src/core imports no Node built-in and nothing outside src/core' },
    messages: {
      builtin: 'src/core is pure: "{{spec}}" is a Node built-in; do the I/O in an edge module.',
      edge: 'src/core must not depend on edges: "{{spec}}" leaves src/core.',
    },
    schema: [],
  },
  create(context) {
    const file = resolve(context.filename);
    const core = coreDirOf(file);
    if (!core) return {};
    const check = (node) => {
      if (!node || node.type !== 'Literal' || typeof node.value !== 'string') return;
      const spec = node.value;
      if (isBuiltin(spec)) {
        context.report({ node, messageId: 'builtin', data: { spec } });
      } else if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (target !== core && !target.startsWith(core + sep)) {
          context.report({ node, messageId: 'edge', data: { spec } });
        }
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) =>
        check(node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument),
      TSExternalModuleReference: (node) => check(node.expression),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node.arguments[0]);
      },
    };
  },
};
