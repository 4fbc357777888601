import 'reflect-metadata';
import { Container } from 'inversify';
import { coreModule } from './core-module.js';

/** The root container: core's default stages. Apps and tests build it; nothing else does. */
export function createRootContainer(): Container {
  const container = new Container();
  container.loadSync(coreModule);
  return container;
}
