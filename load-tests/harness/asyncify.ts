/**
 * Turns a bundled k6 script, written as k6 runs it (`http.get` and `sleep` block the virtual user), into code
 * that runs on Node's event loop: every function that can reach a blocking k6 call becomes `async`, and every
 * call to such a function or to a blocking k6 call is awaited. So each virtual user still waits for each of its
 * requests, while all of them share one thread.
 *
 * Blocking calls are `k6/http`'s request functions and `k6`'s `sleep` and `group` (which runs its callback).
 * A function is blocking when its own body (not a nested function's) calls something blocking. A blocking
 * function may only be called, exported, or passed to `group()`: handing it anywhere else (an array's
 * `forEach`, a check) would drop the promise, so it is refused with the place it happens.
 */
import ts from 'typescript';

const BLOCKING: Record<string, ReadonlySet<string>> = {
  'k6/http': new Set(['get', 'post', 'put', 'patch', 'del', 'head', 'options', 'request', 'batch']),
  k6: new Set(['sleep', 'group']),
};

type FunctionLike = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

type Target = { kind: 'k6'; module: string; name: string } | { kind: 'function'; node: FunctionLike } | { kind: 'unknown' };

export class AsyncifyError extends Error {
  override name = 'AsyncifyError';
}

function isFunctionLike(node: ts.Node): node is FunctionLike {
  return ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node);
}

function skipParentheses(node: ts.Expression): ts.Expression {
  let current = node;
  while (ts.isParenthesizedExpression(current)) current = current.expression;
  return current;
}

/** The program's checker over one JavaScript file, with nothing else loaded: enough to resolve its own names. */
function checkerFor(fileName: string, source: ts.SourceFile): ts.TypeChecker {
  const host: ts.CompilerHost = {
    getSourceFile: (name) => (name === fileName ? source : undefined),
    getDefaultLibFileName: () => 'lib.d.ts',
    writeFile: () => undefined,
    getCurrentDirectory: () => '/',
    getCanonicalFileName: (name) => name,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (name) => name === fileName,
    readFile: () => undefined,
  };
  const program = ts.createProgram([fileName], { allowJs: true, noLib: true, noResolve: true, target: ts.ScriptTarget.ES2022 }, host);
  return program.getTypeChecker();
}

export function asyncify(code: string, fileName = '/script.js'): string {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const checker = checkerFor(fileName, source);

  const calls: Array<{ call: ts.CallExpression; enclosing: FunctionLike | undefined }> = [];
  const identifiers: ts.Identifier[] = [];
  const visit = (node: ts.Node, enclosing: FunctionLike | undefined): void => {
    if (ts.isCallExpression(node)) calls.push({ call: node, enclosing });
    if (ts.isIdentifier(node)) identifiers.push(node);
    const inner = isFunctionLike(node) ? node : enclosing;
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(source, undefined);

  const importOf = (symbol: ts.Symbol | undefined): { module: string; name: string } | undefined => {
    if (!symbol || !(symbol.flags & ts.SymbolFlags.Alias)) return undefined;
    const declaration = symbol.declarations?.[0];
    if (!declaration) return undefined;
    let clause: ts.Node | undefined;
    let name: string;
    if (ts.isImportSpecifier(declaration)) {
      clause = declaration.parent.parent;
      name = (declaration.propertyName ?? declaration.name).text;
    } else if (ts.isImportClause(declaration)) {
      clause = declaration;
      name = 'default';
    } else if (ts.isNamespaceImport(declaration)) {
      clause = declaration.parent;
      name = '*';
    } else {
      return undefined;
    }
    const importDeclaration = clause.parent;
    if (!ts.isImportDeclaration(importDeclaration) || !ts.isStringLiteral(importDeclaration.moduleSpecifier)) return undefined;
    return { module: importDeclaration.moduleSpecifier.text, name };
  };

  const functionOf = (symbol: ts.Symbol | undefined): FunctionLike | undefined => {
    const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (!declaration) return undefined;
    if (isFunctionLike(declaration)) return declaration;
    if ((ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration)) && declaration.initializer) {
      const initializer = skipParentheses(declaration.initializer);
      if (isFunctionLike(initializer)) return initializer;
    }
    if (ts.isShorthandPropertyAssignment(declaration)) return functionOf(checker.getShorthandAssignmentValueSymbol(declaration));
    return undefined;
  };

  const resolve = (callee: ts.Expression): Target => {
    const expression = skipParentheses(callee);
    let symbol: ts.Symbol | undefined;
    if (ts.isIdentifier(expression)) {
      symbol = checker.getSymbolAtLocation(expression);
    } else if (ts.isPropertyAccessExpression(expression)) {
      const base = skipParentheses(expression.expression);
      if (ts.isIdentifier(base)) {
        const imported = importOf(checker.getSymbolAtLocation(base));
        if (imported && (imported.name === 'default' || imported.name === '*')) {
          return { kind: 'k6', module: imported.module, name: expression.name.text };
        }
      }
      symbol = checker.getSymbolAtLocation(expression.name);
    } else {
      return { kind: 'unknown' };
    }
    const imported = importOf(symbol);
    if (imported) return { kind: 'k6', ...imported };
    const node = functionOf(symbol);
    return node ? { kind: 'function', node } : { kind: 'unknown' };
  };

  const where = (node: ts.Node): string => {
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart());
    return `${fileName}:${line + 1}:${character + 1} (${node.getText().slice(0, 60).replace(/\s+/g, ' ')})`;
  };

  const targets = new Map<ts.CallExpression, Target>();
  for (const { call } of calls) targets.set(call, resolve(call.expression));

  const blocking = new Set<FunctionLike>();
  const isBlockingCall = (call: ts.CallExpression): boolean => {
    const target = targets.get(call);
    if (!target) return false;
    if (target.kind === 'k6') return BLOCKING[target.module]?.has(target.name) ?? false;
    return target.kind === 'function' && blocking.has(target.node);
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const { call, enclosing } of calls) {
      if (!isBlockingCall(call)) continue;
      if (!enclosing) throw new AsyncifyError(`a blocking k6 call runs outside any function (the init context): ${where(call)}`);
      if (!blocking.has(enclosing)) {
        blocking.add(enclosing);
        changed = true;
      }
    }
  }

  const isGroupCallback = (node: ts.Node): boolean => {
    const parent = node.parent;
    if (!parent || !ts.isCallExpression(parent) || parent.arguments[1] !== node) return false;
    const target = targets.get(parent);
    return target?.kind === 'k6' && target.module === 'k6' && target.name === 'group';
  };

  // Where a blocking function may appear as a value: called, exported, handed to group(), or bound to a name
  // (then each use of the name is checked in its turn).
  const checkUse = (use: ts.Node, fn: FunctionLike): void => {
    let node: ts.Node = use;
    while (node.parent && ts.isParenthesizedExpression(node.parent)) node = node.parent;
    const parent = node.parent;
    if (!parent) return;
    if (ts.isCallExpression(parent) && skipParentheses(parent.expression) === use) return;
    if (ts.isPropertyAccessExpression(parent) && parent.name === use) {
      checkUse(parent, fn);
      return;
    }
    if (ts.isExportSpecifier(parent) || ts.isExportAssignment(parent)) return;
    if (isGroupCallback(node)) return;
    if (fn === node && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) return;
    if (fn === node && ts.isFunctionDeclaration(node)) return;
    if (fn === node && ts.isMethodDeclaration(node)) return;
    if (ts.isShorthandPropertyAssignment(parent)) return;
    throw new AsyncifyError(
      `a function that waits for k6 requests is used as a value here, where nothing would wait for it: ${where(use)}. ` +
        'Call it, export it or pass it to group().',
    );
  };

  const nameOf = (fn: FunctionLike): ts.Node | undefined => {
    if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name) return fn.name;
    const parent = fn.parent;
    if (
      parent &&
      (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) &&
      parent.initializer &&
      skipParentheses(parent.initializer) === fn
    ) {
      return parent.name;
    }
    return undefined;
  };

  for (const fn of blocking) {
    if (fn.asteriskToken) throw new AsyncifyError(`generators cannot wait for k6 requests: ${where(fn)}`);
    checkUse(fn, fn);
    const name = nameOf(fn);
    const symbol = name ? checker.getSymbolAtLocation(name) : undefined;
    if (!symbol) continue;
    for (const identifier of identifiers) {
      if (identifier === name) continue;
      const found = checker.getSymbolAtLocation(identifier);
      const same =
        found === symbol ||
        (ts.isShorthandPropertyAssignment(identifier.parent) && checker.getShorthandAssignmentValueSymbol(identifier.parent) === symbol);
      if (same && !ts.isShorthandPropertyAssignment(identifier.parent)) checkUse(identifier, fn);
    }
  }

  const inserts: Array<{ pos: number; text: string; rank: number }> = [];
  for (const fn of blocking) {
    if (fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) continue;
    let pos: number;
    if (ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn)) {
      const keyword = fn.getChildren().find((child) => child.kind === ts.SyntaxKind.FunctionKeyword);
      pos = keyword ? keyword.getStart() : fn.getStart();
    } else if (ts.isMethodDeclaration(fn)) {
      pos = fn.name.getStart();
    } else {
      pos = fn.getStart();
    }
    inserts.push({ pos, text: 'async ', rank: 0 });
  }
  for (const { call } of calls) {
    if (!isBlockingCall(call)) continue;
    const width = call.getEnd() - call.getStart();
    // At one position, an outer call opens before and closes after an inner one.
    inserts.push({ pos: call.getStart(), text: '(await ', rank: -width });
    inserts.push({ pos: call.getEnd(), text: ')', rank: width });
  }
  inserts.sort((a, b) => b.pos - a.pos || b.rank - a.rank);
  let out = code;
  for (const insert of inserts) out = out.slice(0, insert.pos) + insert.text + out.slice(insert.pos);
  return out;
}
