/** Config mistakes tsc must catch: each line after @ts-expect-error has to be an error (an unused directive fails). */
import { defineConfig } from 'cachex';

defineConfig({
  tasks: {
    typoInRun: {
      params: { file: { type: 'file', required: true }, resolution: { type: 'number', default: 0.1 } },
      // @ts-expect-error `resoluton` is not a param
      run: async ({ file, resoluton }) => {
        const n: number = resoluton;
        return [file, n];
      },
    },
    wrongTypeInRun: {
      params: { resolution: { type: 'number', default: 0.1 } },
      run: ({ resolution }) => {
        // @ts-expect-error a number param is not a string
        const s: string = resolution;
        return s;
      },
    },
    optionalInRun: {
      params: { label: { type: 'string' } },
      run: ({ label }) => {
        // @ts-expect-error a param that is neither required nor defaulted may be absent
        const s: string = label;
        return s;
      },
    },
    wrongIgnore: {
      params: { debug: { type: 'boolean', default: false } },
      // @ts-expect-error `debgu` is not a param
      ignore: ['debgu'],
      run: () => 1,
    },
    wrongChoiceInRun: {
      params: { quality: { type: 'enum', choices: ['low', 'high'], default: 'low' } },
      run: ({ quality }) => {
        // @ts-expect-error 'medium' is not one of the choices
        if (quality === 'medium') return 1;
        return 2;
      },
    },
    wrongChoiceDefault: {
      params: {
        // @ts-expect-error the default 'medium' is not one of the choices
        quality: { type: 'enum', choices: ['low', 'high'], default: 'medium' },
      },
      run: () => 1,
    },
    wrongDefaultType: {
      params: {
        // @ts-expect-error a number param with a string default
        resolution: { type: 'number', default: '0.1' },
      },
      run: () => 1,
    },
    wrongParamType: {
      params: {
        // @ts-expect-error 'float' is not a param type
        resolution: { type: 'float' },
      },
      run: () => 1,
    },
    commandIgnore: {
      params: { file: { type: 'file', required: true } },
      // @ts-expect-error `fil` is not a param
      ignore: ['fil'],
      command: ['tool', '{file}'],
    },
    // @ts-expect-error a task needs `run` or `command`, not both
    both: {
      run: () => 1,
      command: ['tool'],
    },
  },
});

defineConfig({
  tasks: {
    t: {
      // @ts-expect-error `ignor` is not a task option
      ignor: ['x'],
      run: () => 1,
    },
  },
});

defineConfig({
  // @ts-expect-error `dataFoldr` is not a config key
  dataFoldr: 'x',
  tasks: {},
});
