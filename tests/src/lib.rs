pub mod mock_glm;
