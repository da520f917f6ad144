import { describe, expect, it } from 'vitest';
import { globMatchesName } from './build.js';

describe('globMatchesName', () => {
  it('matches a module rule glob against a built file’s original name by its last segment', () => {
    expect(globMatchesName('**/*.ttf', 'NanumGothic_400Regular.ttf')).toBe(true);
    expect(globMatchesName('**/swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui-bundle.js')).toBe(true);
    expect(globMatchesName('swagger-ui-dist/swagger-ui.css', 'swagger-ui.css')).toBe(true);
    expect(globMatchesName('**/*.wasm?module', 'x.wasm')).toBe(true);
    expect(globMatchesName('**/*.ttf', 'font.ttf.js')).toBe(false);
    expect(globMatchesName('swagger-ui-dist/swagger-ui.css', 'swagger-ui-css')).toBe(false);
  });
});
